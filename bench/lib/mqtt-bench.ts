import { readdirSync, readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { TestBroker } from '../../test/helpers/brokers.js';

/** mqtt.js does not set TCP_NODELAY; the services' Bus does (shared/src/bus/bus.ts). */
export function noDelay(client: MqttClient): MqttClient {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

/** The broker's process id: the embedded broker's own, or the Mosquitto started on this data directory. */
export function brokerPid(broker: TestBroker): number | undefined {
  if (broker.process?.child.pid) return broker.process.child.pid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (command.startsWith('mosquitto') && command.includes(broker.dataDir)) return Number(entry);
    } catch {
      // The process ended while the list was read.
    }
  }
  return undefined;
}
