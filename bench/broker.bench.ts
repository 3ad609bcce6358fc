import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { spawnNode } from '../test/helpers/processes.js';
import { tempDir } from '../test/helpers/temp.js';
import { idleConnections, latency, type Target, type ThroughputResult, throughput } from './broker/load.js';
import { median, percentile } from './lib/proc-stats.js';
import { benchBrokerEnv, shippedBrokerNodeOptions } from './lib/shipped-broker.js';
import type { BenchResult, BenchSuite } from './report.js';

/**
 * The embedded broker against Debian's Mosquitto, same machine, same run, same load generator (bench/broker/
 * raw-mqtt.ts: a lean MQTT 3.1.1 client; mqtt.js would saturate a core before either broker does). Each broker runs
 * with its defaults, except that the embedded one allows anonymous clients and has no connect-rate limit (every
 * connection comes from 127.0.0.1) and Mosquitto keeps no persistence file. The embedded broker gets the
 * NODE_OPTIONS that docker-compose.yml (and so `npm start`) gives it.
 */
interface RunningBroker extends Target {
  stop(): Promise<void>;
}

async function startEmbedded(): Promise<RunningBroker> {
  const port = await freePort();
  const data = tempDir('wattbus-bench-broker-');
  const broker = spawnNode('broker', 'services/broker/dist/main.js', {
    NODE_OPTIONS: shippedBrokerNodeOptions(),
    ...benchBrokerEnv(port, data.path),
  });
  await waitForPort(port);
  return {
    name: 'embedded',
    port,
    pid: broker.child.pid!,
    async stop() {
      await broker.stop();
      data.remove();
    },
  };
}

async function startMosquitto(): Promise<RunningBroker> {
  const port = await freePort();
  const dir = tempDir('wattbus-bench-mosquitto-');
  const config = join(dir.path, 'mosquitto.conf');
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none'].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) progress(`mosquitto exited unexpectedly (${code ?? signal})`);
      resolve();
    }),
  );
  await waitForPort(port);
  return {
    name: 'mosquitto',
    port,
    pid: child.pid!,
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
      dir.remove();
    },
  };
}

/** Rounds per throughput scenario; the one with a target gets more, its spread is what decides "met". */
const ROUNDS = 3;
const TARGET_ROUNDS = 9;
const started = Date.now();
const progress = (text: string) =>
  process.stderr.write(`bench broker: ${((Date.now() - started) / 1000).toFixed(0)} s: ${text}\n`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));
const cores = (value: number) => `${value.toFixed(2)} cores`;

export const suite: BenchSuite = {
  area: 'broker',
  command: 'npx tsx bench/run-all.ts broker',
  async run() {
    const results: BenchResult[] = [];
    const embedded = await startEmbedded();
    const mosquitto = await startMosquitto();
    try {
      const scenarios = [
        {
          name: 'QoS 0 fan-in (10 publishers -> 1 subscriber)',
          qos: 0,
          publishers: 10,
          subscribers: 1,
          target: 0.6,
          rounds: TARGET_ROUNDS,
        },
        { name: 'QoS 1 fan-in (10 publishers -> 1 subscriber)', qos: 1, publishers: 10, subscribers: 1 },
        { name: 'QoS 0 fan-out (1 publisher -> 20 subscribers)', qos: 0, publishers: 1, subscribers: 20 },
        { name: 'QoS 1 fan-out (1 publisher -> 20 subscribers)', qos: 1, publishers: 1, subscribers: 20 },
      ] as const;
      // Warm-up, not reported: the first second of load on a fresh Node process mostly measures the JIT.
      for (const broker of [embedded, mosquitto]) {
        progress(`warm-up, ${broker.name}`);
        await throughput(broker, { ...scenarios[0], warmup: 0.5, measure: 1 });
      }
      for (const scenario of scenarios) {
        // Pairs of short rounds, one broker right after the other (which goes first alternates): other work on
        // a shared machine hits both of a pair alike, so the ratio within each pair is the robust figure.
        const rounds = 'rounds' in scenario ? scenario.rounds : ROUNDS;
        progress(`${scenario.name}: ${rounds} rounds per broker`);
        const runs: Record<string, ThroughputResult[]> = { embedded: [], mosquitto: [] };
        for (let attempt = 0; attempt < rounds; attempt++) {
          const order = attempt % 2 === 0 ? [embedded, mosquitto] : [mosquitto, embedded];
          for (const broker of order) runs[broker.name]!.push(await throughput(broker, scenario));
        }
        for (const broker of [embedded, mosquitto]) {
          const all = runs[broker.name]!;
          const result = all.find((run) => run.deliveries === median(all.map((r) => r.deliveries)))!;
          results.push({
            name: `${scenario.name}, ${broker.name}`,
            value: round(result.deliveries),
            unit: 'deliveries/s',
            detail:
              `median of ${rounds} rounds (${all.map((run) => round(run.deliveries)).join(', ')}); ` +
              `broker CPU ${cores(result.brokerCpu)}, load generator CPU ${cores(result.generatorCpu)}`,
          });
        }
        const pairs = runs.embedded!.map((run, i) => (run.deliveries / runs.mosquitto![i]!.deliveries) * 100);
        const ratio = median(pairs);
        const sorted = [...pairs].sort((a, b) => a - b);
        const target = 'target' in scenario ? scenario.target : undefined;
        results.push({
          name: `${scenario.name}, embedded / Mosquitto`,
          value: round(ratio, 1),
          unit: '%',
          ...(target ? { target: `>= ${target * 100} %`, met: ratio >= target * 100 } : {}),
          detail:
            `median of the ${rounds} per-round ratios (${sorted.map((value) => value.toFixed(0)).join(', ')} %; ` +
            `quartiles ${percentile(sorted, 25).toFixed(0)}-${percentile(sorted, 75).toFixed(0)} %); ` +
            `ratio of the medians ${((median(runs.embedded!.map((r) => r.deliveries)) / median(runs.mosquitto!.map((r) => r.deliveries))) * 100).toFixed(1)} %`,
        });
      }

      const latencies = [
        {
          name: 'QoS 0 fan-in latency (10 x 200 msg/s -> 1)',
          qos: 0,
          publishers: 10,
          subscribers: 1,
          rate: 200,
        },
        {
          name: 'QoS 1 fan-in latency (10 x 200 msg/s -> 1)',
          qos: 1,
          publishers: 10,
          subscribers: 1,
          rate: 200,
        },
        {
          name: 'QoS 0 fan-out latency (200 msg/s -> 20)',
          qos: 0,
          publishers: 1,
          subscribers: 20,
          rate: 200,
        },
        {
          name: 'QoS 1 fan-out latency (200 msg/s -> 20)',
          qos: 1,
          publishers: 1,
          subscribers: 20,
          rate: 200,
        },
      ] as const;
      for (const scenario of latencies) {
        for (const broker of [embedded, mosquitto]) {
          progress(`${scenario.name}, ${broker.name}`);
          const result = await latency(broker, scenario);
          const detail = `${result.samples} samples`;
          results.push({
            name: `${scenario.name} p50, ${broker.name}`,
            value: result.p50,
            unit: 'ms',
            detail,
          });
          results.push({
            name: `${scenario.name} p99, ${broker.name}`,
            value: result.p99,
            unit: 'ms',
            detail,
          });
        }
      }
    } finally {
      await Promise.all([embedded.stop(), mosquitto.stop()]);
    }

    // Fresh processes, so the peak is that of the idle connections and not of the load above.
    for (const start of [startEmbedded, startMosquitto]) {
      const broker = await start();
      // Let start-up work (module loading, the store) settle, so "before" is the broker at rest.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      progress(`1 000 idle connections, ${broker.name}`);
      try {
        const idle = await idleConnections(broker, 1000);
        results.push({
          name: `RSS before any client, ${broker.name}`,
          value: round(idle.before, 1),
          unit: 'MiB',
          detail: 'a freshly started broker, 2 s after its port opened',
        });
        results.push({
          name: `Peak RSS with 1 000 idle connections, ${broker.name}`,
          value: round(idle.peak, 1),
          unit: 'MiB',
          detail: `${idle.connected} connected; RSS ${idle.before.toFixed(1)} MiB before, ${idle.rss.toFixed(1)} MiB with them`,
        });
      } finally {
        await broker.stop();
      }
    }
    return results;
  },
};
