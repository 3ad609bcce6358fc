import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import type { TestBroker } from '../../test/helpers/brokers.js';
import { brokerPid, noDelay } from '../lib/mqtt-bench.js';
import { cpuSeconds } from '../lib/proc-stats.js';
import type { BenchResult } from '../report.js';

/**
 * How many retained QoS 1 messages of a unit state's size one mqtt.js client (as the registry is) can get accepted
 * by the broker, with no registry and no subscriber. The contract gives every changed unit such a message; when
 * updates to different units come faster than this, the registry sends each unit's latest state instead of every
 * one (STATES_IN_FLIGHT in services/device-registry/src/publish/mqtt-outputs.ts), so this bounds the state
 * messages, not the updates. No registry runs here.
 */
const SECONDS = 5;
const WINDOW = 1000;
const TOPICS = 1000;
/** A kWh unit's state as the registry publishes it (docs/mqtt-api.md), about the same size. */
const STATE = JSON.stringify({
  name: 'Meter 17',
  typeName: 'kWh',
  type: 243,
  subtype: 29,
  switchtype: 0,
  nValue: 0,
  sValue: '1234.5;98765.4',
  power: 1234.5,
  energy: 98.7654,
  options: {},
  batteryLevel: 255,
  signalLevel: 12,
  used: true,
  timedOut: false,
  lastUpdate: '2026-11-22T02:00:00.000Z',
});

export async function statePublishCeiling(broker: TestBroker): Promise<BenchResult> {
  const client = noDelay(await mqtt.connectAsync(broker.url, { protocolVersion: 5 }));
  const pid = brokerPid(broker);
  const brokerStart = pid === undefined ? Number.NaN : cpuSeconds(pid);
  const ownStart = process.cpuUsage();
  let acknowledged = 0;
  let inFlight = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < WINDOW && performance.now() < deadline) {
        inFlight++;
        const topic = `wattbus/devices/ceiling/meter${next++ % TOPICS}/1`;
        client.publish(topic, STATE, { qos: 1, retain: true }, () => {
          inFlight--;
          acknowledged++;
          if (performance.now() < deadline) {
            // Refill in bulk: one pump per half window keeps the socket busy without a call per answer.
            if (inFlight < WINDOW / 2) pump();
          } else if (inFlight === 0) resolve();
        });
      }
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownStart);
  const brokerCpu = pid === undefined ? Number.NaN : cpuSeconds(pid) - brokerStart;
  await client.endAsync();
  const perMessage = (cpu: number) => (Number.isNaN(cpu) ? '?' : ((cpu / acknowledged) * 1e6).toFixed(0));
  return {
    name: `retained QoS 1 unit states alone, one mqtt.js client, no registry (${broker.kind} broker)`,
    value: acknowledged / seconds,
    unit: 'messages/s',
    target: 'context: the most state messages this broker takes from one client',
    detail:
      `${acknowledged} acknowledged in ${seconds.toFixed(1)} s, ${WINDOW} in flight over ${TOPICS} topics, ` +
      `${STATE.length}-byte payloads; CPU per message: client ${perMessage((own.user + own.system) / 1e6)} µs, ` +
      `broker ${perMessage(brokerCpu)} µs`,
  };
}
