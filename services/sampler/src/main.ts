import { Bus, ConfigError, runService, topicFor, topics } from '@wattbus/shared';
import { AdcFault } from './adc/adc-bus.js';
import { samplerSettings } from './sampler-config.js';
import { SamplerService } from './sampler-service.js';
import { createSource, resolveSourceKind } from './sources/select-source.js';

await runService('sampler', async ({ config, loaded, logger }) => {
  const settings = samplerSettings(config, loaded);
  if (settings.demo) {
    logger.warn('no config.toml: sampling the demo channels (1 mains, 2 solar, 3 kitchen, 4 living room)');
  }
  const kind = resolveSourceKind(config.sampler);
  const stopping = new AbortController();
  const source = createSource(kind, {
    config,
    channels: settings.channels,
    signal: stopping.signal,
    onWarning: (message) => logger.warn(message),
  });
  if (kind === 'replay') {
    // A capture that cannot be read or parsed is a setting to fix, not an ADC fault to retry for ever.
    await source.open().catch((error: unknown) => {
      if (!(error instanceof AdcFault)) throw error;
      throw new ConfigError([
        `sampler.replay_file = ${JSON.stringify(config.sampler.replay_file)}: ${error.message}`,
      ]);
    });
  }
  const bus = Bus.connect({
    service: 'sampler',
    mqtt: config.mqtt,
    stateTopic: topicFor(
      topics.samplerState,
      { base: config.mqtt.base_topic, discovery: config.homeassistant.prefix },
      {},
    ),
    // `online` only once batches flow; `offline` again during an ADC fault.
    birth: 'manual',
    logger,
  });
  const service = new SamplerService({ config, settings, source, bus, logger });
  service.start();
  return async () => {
    stopping.abort();
    await service.stop();
    await bus.close();
  };
});
