import { hostname } from 'node:os';
import { type StartPlugin, type StopPlugin, sleepFor } from '@wattbus/plugin-runner';
import { Bus, MqttSection } from '@wattbus/shared';
import { parsePluginConfig } from '../lib/plugin-config.js';
import { MqttV2Config, thresholdsOf } from './config.js';
import { Deadband } from './deadband.js';
import { figuresOf, type ReadingFigures } from './figures.js';
import { formatPayloadNumber } from './python-float.js';

/**
 * mqtt_v2: the reference power monitor's MQTT plugin, topic- and payload-compatible, publishing to any broker
 * (power-calculation.md section 8). Figures go out as Python-style 2-decimal strings under `<prefix>/`, each when
 * it moved past its deadband or `max_publish_seconds` passed; `<prefix>/status` is `online`, with `offline` as
 * the will and on a clean stop.
 */

let stopBus: (() => Promise<void>) | undefined;

function brokerUrl(config: MqttV2Config): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const port = config.port ?? (config.tls ? 8883 : 1883);
  return `${config.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`;
}

export const startPlugin: StartPlugin = async (data, stopFlag, block, logger, extras) => {
  const config = parsePluginConfig(MqttV2Config, block, `plugins.${extras.pluginId}`);
  const url = brokerUrl(config);
  const bus = Bus.connect({
    service: `${extras.pluginId}-${hostname()}`,
    mqtt: MqttSection.parse({
      url,
      username: config.username,
      password: config.password,
      base_topic: config.prefix,
      protocol_version: config.protocol_version,
      client_id: config.client_id,
      ca_file: config.ca_file,
      cert_file: config.cert_file,
      key_file: config.key_file,
      reject_unauthorized: config.tls_verify,
      // Another household's broker may be away for a while: retry calmly rather than every second.
      reconnect_period: 5,
    }),
    stateTopic: `${config.prefix}/status`,
    logger,
  });
  stopBus = () => bus.close();
  const deadband = new Deadband(thresholdsOf(config), config.max_publish_seconds);
  // Subscribers may have missed figures while the link was down: the first refresh after it publishes all.
  bus.client.on('connect', () => deadband.reset());
  logger.info(
    { url, prefix: config.prefix, refresh_rate: config.refresh_rate },
    'publishing power monitor figures in the reference mqtt_v2 format',
  );

  try {
    while (!stopFlag.isSet()) {
      // `data` is empty until the sampler's first reading; nothing is published from an empty reading.
      if (bus.connected && data.timestamp !== undefined) {
        const due = deadband.due(figuresOf(data as ReadingFigures), Date.now());
        await Promise.all(
          due.map((figure) =>
            bus.publishRaw(`${config.prefix}/${figure.path}`, formatPayloadNumber(figure.value), {
              qos: config.qos,
              retain: config.retain,
            }),
          ),
        ).catch((error: unknown) =>
          logger.warn({ err: error }, 'publish failed; retrying at the next refresh'),
        );
        logger.debug({ published: due.length }, 'refresh');
      }
      await sleepFor(config.refresh_rate, stopFlag);
    }
  } finally {
    stopBus = undefined;
    await bus.close();
  }
};

export const stopPlugin: StopPlugin = async () => {
  await stopBus?.();
};
