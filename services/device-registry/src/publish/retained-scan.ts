import { Bus, type Logger, type MqttSection } from '@wattbus/shared';

export interface ScanOptions {
  mqtt: MqttSection;
  discoveryPrefix: string;
  logger: Logger;
}

/**
 * Collects the retained messages under some filters for a while (Zigbee2MQTT's 5-second scan): the broker sends
 * its stored messages right after the subscription, flagged retained.
 *
 * The scan uses its own short-lived connection. On the registry's main connection, the subscription would echo
 * every state the registry publishes meanwhile back to it, and the embedded broker has been seen to drop a
 * client's retained publications to other subscribers while that client holds a matching subscription.
 */
export async function scanRetained(
  options: ScanOptions,
  filters: string[],
  durationMs: number,
): Promise<Map<string, Buffer>> {
  const clientId = `${options.mqtt.client_id || 'wattbus-registry'}-scan`;
  const bus = Bus.connect({
    service: 'registry-scan',
    mqtt: { ...options.mqtt, client_id: clientId },
    discoveryPrefix: options.discoveryPrefix,
    logger: options.logger,
  });
  const found = new Map<string, Buffer>();
  try {
    await bus.waitUntilConnected();
    for (const filter of filters) {
      bus.subscribeRaw(filter, (topic, payload, packet) => {
        if (packet.retain && payload.length > 0) found.set(topic, payload);
      });
    }
    await new Promise((resolve) => setTimeout(resolve, durationMs));
  } finally {
    await bus.close();
  }
  return found;
}
