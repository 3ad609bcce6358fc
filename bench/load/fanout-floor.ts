import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { startMosquitto, startWattbusBroker, type TestBroker } from '../../test/helpers/brokers.js';
import { REPO_ROOT } from '../../test/helpers/processes.js';
import { tempDir } from '../../test/helpers/temp.js';
import { noDelay } from '../lib/mqtt-bench.js';
import { percentile } from '../lib/proc-stats.js';
import { shippedBrokerNodeOptions } from '../lib/shipped-broker.js';

/**
 * The floor under the load test's latency: the same fan-out (one retained QoS 0 message of a reading's size, 10 per
 * second, to `subscribers` processes on this machine) with nothing else running and the least possible subscriber.
 * Two kinds of subscriber: Mosquitto's own `mosquitto_sub` (C, written by nobody here), and a Node.js process that
 * only receives with mqtt.js (bench/fixtures/plain-subscriber.mjs), which is what any Node.js plugin must at least
 * do. Whatever these reach is the best any design with one process per plugin can reach on this machine.
 */
export type SubscriberKind = 'mosquitto_sub' | 'node';
export type BrokerKind = 'mosquitto' | 'embedded';

export interface FloorResult {
  subscriber: SubscriberKind;
  broker: BrokerKind;
  subscribers: number;
  samples: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

const TOPIC = 'wattbus-bench/readings';

/** A JSON payload carrying its send time, as large as the load test's readings (3 channels: about 690 bytes). */
function payload(sentAt: number): string {
  return JSON.stringify({ t: sentAt, padding: 'x'.repeat(650) });
}
export const PAYLOAD_BYTES = payload(Date.now()).length;

function startBroker(kind: BrokerKind): Promise<TestBroker> {
  if (kind === 'mosquitto') return startMosquitto();
  // The embedded broker as it ships (its NODE_OPTIONS from docker-compose.yml), quiet.
  return startWattbusBroker({
    WATTBUS__GENERAL__LOG_LEVEL: 'warn',
    NODE_OPTIONS: shippedBrokerNodeOptions() ?? '',
  });
}

/** mosquitto_sub prints each message's arrival (%U: epoch seconds with nanoseconds) and its payload. */
function mosquittoSub(port: number, latencies: number[]): ChildProcess {
  const child = spawn(
    'mosquitto_sub',
    ['-h', '127.0.0.1', '-p', String(port), '-t', TOPIC, '-R', '-F', '%U %p'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buffer = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const space = line.indexOf(' ');
      const sent = (JSON.parse(line.slice(space + 1)) as { t: number }).t;
      latencies.push(Number(line.slice(0, space)) * 1000 - sent);
      newline = buffer.indexOf('\n');
    }
  });
  return child;
}

export async function measureFloor(options: {
  subscriber: SubscriberKind;
  broker: BrokerKind;
  subscribers: number;
  seconds: number;
  rate: number;
}): Promise<FloorResult> {
  const broker = await startBroker(options.broker);
  const dir = tempDir('wattbus-floor-out-');
  const latencies: number[] = [];
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < options.subscribers; i++) {
      children.push(
        options.subscriber === 'mosquitto_sub'
          ? mosquittoSub(broker.port, latencies)
          : fork(join(REPO_ROOT, 'bench', 'fixtures', 'plain-subscriber.mjs'), [
              broker.url,
              TOPIC,
              join(dir.path, `${i}.json`),
            ]),
      );
    }
    if (options.subscriber === 'node') {
      await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    }
    // mosquitto_sub says nothing when subscribed: give every one time to connect, and the machine time to settle.
    await sleep(3000);
    const publisher = noDelay(await mqtt.connectAsync(broker.url, { protocolVersion: 5 }));
    const count = Math.round(options.seconds * options.rate);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      publisher.publish(TOPIC, payload(performance.timeOrigin + performance.now()), { qos: 0, retain: true });
      // Paced against the start, so a late turn does not slow the rate.
      await sleep(Math.max(0, started + ((i + 1) * 1000) / options.rate - performance.now()));
    }
    await sleep(1000);
    await publisher.endAsync();
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
    if (options.subscriber === 'node') {
      for (let i = 0; i < options.subscribers; i++) {
        latencies.push(...(JSON.parse(readFileSync(join(dir.path, `${i}.json`), 'utf8')) as number[]));
      }
    }
    const sorted = latencies.sort((a, b) => a - b);
    return {
      ...options,
      samples: sorted.length,
      expected: count * options.subscribers,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await broker.stop();
    dir.remove();
  }
}
