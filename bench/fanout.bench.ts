import { type FloorResult, measureFloor, PAYLOAD_BYTES } from './load/fanout-floor.js';
import { LOAD } from './load.bench.js';
import type { BenchResult, BenchSuite } from './report.js';

/**
 * The floor under issue 8's reading-latency target (p99 < 5 ms to 50 plugin processes at 10 readings/s): the same
 * fan-out with nothing else running, to the least possible subscriber processes. See bench/load/fanout-floor.ts.
 */
const RATE = 10;
const SECONDS = 10;
const CASES = [
  { subscriber: 'mosquitto_sub', broker: 'mosquitto' },
  { subscriber: 'mosquitto_sub', broker: 'embedded' },
  { subscriber: 'node', broker: 'mosquitto' },
  { subscriber: 'node', broker: 'embedded' },
] as const;

const label = (result: FloorResult) =>
  `${result.subscribers} ${result.subscriber === 'node' ? 'plain Node.js subscribers' : 'mosquitto_sub processes'}, ${
    result.broker === 'mosquitto' ? 'Mosquitto' : 'embedded broker'
  }`;

export const suite: BenchSuite = {
  area: 'fanout',
  command: 'npx tsx bench/run-all.ts fanout',
  async run() {
    const results: BenchResult[] = [];
    for (const which of CASES) {
      const result = await measureFloor({
        ...which,
        subscribers: LOAD.runners,
        seconds: SECONDS,
        rate: RATE,
      });
      const detail =
        `${RATE} messages/s for ${SECONDS} s, ${PAYLOAD_BYTES} bytes, retained, QoS 0, nothing else running; p50 ` +
        `${result.p50.toFixed(2)} ms, max ${result.max.toFixed(1)} ms; ${result.samples} of ${result.expected} deliveries`;
      results.push({
        name: `publish -> subscriber p99, ${label(result)}`,
        value: result.p99,
        unit: 'ms',
        target: "context for the load test's < 5 ms",
        detail,
      });
    }
    return results;
  },
};
