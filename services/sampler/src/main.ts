import { Bus, runService, topicFor, topics } from '@wattbus/shared';
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
