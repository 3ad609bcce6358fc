import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { freePort, waitForPort } from '../../test/helpers/ports.js';
import { REPO_ROOT, type ServiceProcess, spawnNode } from '../../test/helpers/processes.js';
import { TEST_CHANNELS, TEST_GRID } from '../../test/helpers/stack.js';
import { tempDir } from '../../test/helpers/temp.js';
import { childrenOf, cpuSeconds, machineCpu, memory, percentile } from '../lib/proc-stats.js';
import { shippedBrokerNodeOptions } from '../lib/shipped-broker.js';
import { type HeapSample, heapAt, heapLogged } from './heap-log.js';
import { UnitLoad, type UnitLoadWindow } from './unit-load.js';

/**
 * The whole system under load, every part a real process on this machine: the embedded broker, the sampler
 * (simulated source paced to ~10 readings/s), the device registry with `units` kWh units that a protocol-speaking
 * client updates at `unitRate`, and `runners` plugin runners, each running bench/fixtures/plugins/load_probe, which
 * notes when each reading reaches its onReading callback.
 */
export interface LoadOptions {
  runners: number;
  units: number;
  /** Unit updates per second offered to the registry during the run. */
  unitRate: number;
  /** Seconds of full load before the measured window starts ("once warm"). */
  warmupSeconds: number;
  measureSeconds: number;
  /** `node_options` of every probe's plugin process; absent: the runner's default. */
  pluginNodeOptions?: string;
  /**
   * Node.js options of the broker process (NODE_OPTIONS), e.g. to compare V8 heap settings under this load; absent:
   * those docker-compose.yml gives it.
   */
  brokerNodeOptions?: string;
  /** 'default': the supervisors run without the V8 flags of the runner's main.js (bench/fixtures/runner-default-v8.mjs). */
  runnerV8?: 'runner' | 'default';
  progress(text: string): void;
}

export type Role = 'broker' | 'sampler' | 'registry' | 'runner' | 'plugin' | 'bench';

export interface ProcessFigures {
  role: Role;
  name: string;
  pid: number;
  /** RSS in MiB: idle (runners before any reading; services after setup), once warm, at the end. */
  idleRss?: number;
  warmRss: number;
  endRss: number;
  /** Largest RSS seen during the window (sampled every few seconds). */
  maxRss: number;
  /** RSS at the start of the window and then every few seconds, MiB. */
  rssSeries: number[];
  /** The broker's and the registry's V8 heap at the same moments (bench/load/heap-log.ts). */
  heapSeries?: HeapSample[];
  /** CPU while idle (runners up, no readings, no unit updates), in cores. */
  idleCpu?: number;
  /** CPU during the measured window, in cores (1 = one core busy). */
  cpu: number;
}

export interface LoadReport {
  options: Omit<LoadOptions, 'progress'>;
  /** Readings per second the sampler published during the window (as counted by a separate subscriber). */
  readingRate: number;
  readingsInWindow: number;
  /**
   * The sampler's publish (its socket write of the reading) to each plugin's onReading callback, pooled over all
   * plugins, in ms.
   */
  latency: { p50: number; p99: number; max: number; samples: number };
  /** The reading's timestamp (the end of its batch) to the callback: adds the sampler's own time before publishing. */
  fromTimestamp: { p50: number; p99: number };
  /** The same for each plugin: the worst plugin's p99. */
  worstPluginP99: number;
  /**
   * Per reading, the first and the last of the plugins to get it (ms since the publish): a broker delay moves both,
   * while the time the 2 cores need to wake every runner and plugin process in turn shows as the gap between them.
   */
  firstPlugin: { p50: number; p99: number };
  lastPlugin: { p50: number; p99: number };
  /** Readings in the window that some plugin did not receive (sum over plugins). */
  missed: number;
  /** The sampler's publish to a plain MQTT subscriber in the bench process: the broker hop alone. */
  brokerHop: { p50: number; p99: number };
  units: UnitLoadWindow & { createSeconds: number };
  processes: ProcessFigures[];
  /** Plugin processes that were restarted during the run (their pid changed). */
  restarts: number;
  startupSeconds: number;
  /**
   * The whole machine over the window, in cores: busy in total, and busy outside this test's processes (other
   * work sharing the machine), with the 1-minute load average at the end.
   */
  machine: { busy: number; others: number; cores: number; loadAverage: number };
}

/**
 * `npm run soak`'s defaults. "Once warm": under this load the broker's young generation doubles in steps up to the
 * 2 x 64 MB that its --max-semi-space-size allows, 80-90 s after the load starts (runs of 2026-11-22 05:42 and 05:48
 * UTC), then stays there, while its old generation is flat throughout. A window that starts earlier measures that
 * sizing, not a leak; so the RSS growth target is judged only after this warm-up.
 */
export const SOAK = { warmupSeconds: 120, measureSeconds: 60 };

const IDLE_SECONDS = 5;
const FIXTURES = join(REPO_ROOT, 'bench', 'fixtures', 'plugins');

function configText(options: {
  dir: string;
  brokerPort: number;
  httpPort: number;
  runnerIds: string[];
  pluginNodeOptions?: string;
}): string {
  const { dir, brokerPort, httpPort, runnerIds, pluginNodeOptions } = options;
  const nodeOptions =
    pluginNodeOptions === undefined ? '' : `node_options = ${JSON.stringify(pluginNodeOptions)}\n`;
  const plugins = runnerIds.map(
    (id) =>
      `[plugins.${id}]\nenabled = true\nplugin = "load_probe"\noutput = "${join(dir, `${id}.json`)}"\n${nodeOptions}`,
  );
  return `[general]
name = "load"
log_level = "warn"
${TEST_GRID}${TEST_CHANNELS}
[mqtt]
url = "mqtt://127.0.0.1:${brokerPort}"

[broker]
host = "127.0.0.1"
port = ${brokerPort}
websocket_port = 0
health_port = 0
allow_anonymous = true
# Every connection of this test comes from 127.0.0.1.
connect_rate_limit = 0
data_dir = "${join(dir, 'broker')}"

[sampler]
source = "simulated"
# 3 channels x 100 samples: 611 reads per batch; at 6 200 reads/s that is ~10 batches, so ~10 readings, per second.
samples_per_batch = 100
simulation_read_rate = 6200
energy_file = "${join(dir, 'sampler', 'energy.json')}"

[registry]
database = "${join(dir, 'registry', 'registry.db')}"
http_host = "127.0.0.1"
http_port = ${httpPort}

${plugins.join('\n')}`;
}

/** A client in the bench process: service states, and the time each reading reaches a plain subscriber. */
async function monitor(url: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5 });
  (client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  const states = new Map<string, string>();
  const readings: { timestamp: number; arrived: number }[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    if (topic === 'wattbus/readings') {
      if (packet.retain) return;
      const arrived = performance.timeOrigin + performance.now();
      const timestamp = Date.parse((JSON.parse(payload.toString()) as { timestamp: string }).timestamp);
      readings.push({ timestamp, arrived });
    } else {
      states.set(topic, payload.toString());
    }
    for (const waiter of waiters) waiter();
  });
  await client.subscribeAsync(['wattbus/+/state', 'wattbus/plugins/+/state', 'wattbus/readings']);
  return {
    states,
    readings,
    /** Resolves once `test` holds, checked on every message; rejects after `timeoutMs`. */
    until(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
      if (test()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`load test: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const check = () => {
          if (!test()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () => client.endAsync(),
  };
}

interface Tracked {
  role: Role;
  name: string;
  process?: ServiceProcess;
  pid: number;
}

const exited = (entry: Tracked) => {
  const child = entry.process?.child;
  return child !== undefined && (child.exitCode !== null || child.signalCode !== null);
};

/** Its log lines are added to the error by runLoad. */
function failIfDead(tracked: Tracked[]): void {
  const dead = tracked.find(exited);
  if (dead) {
    const { exitCode, signalCode } = dead.process!.child;
    throw new Error(`${dead.name} exited (${exitCode ?? signalCode}) during the load test`);
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { progress } = options;
  const began = performance.now();
  const dir = tempDir('wattbus-load-');
  const brokerPort = await freePort();
  const runnerIds = Array.from(
    { length: options.runners },
    (_, i) => `probe_${String(i + 1).padStart(2, '0')}`,
  );
  const configPath = join(dir.path, 'config.toml');
  writeFileSync(
    configPath,
    configText({
      dir: dir.path,
      brokerPort,
      httpPort: await freePort(),
      runnerIds,
      pluginNodeOptions: options.pluginNodeOptions,
    }),
  );
  const env = { WATTBUS_CONFIG: configPath };
  const tracked: Tracked[] = [];
  const services: ServiceProcess[] = [];
  const start = (
    role: Role,
    name: string,
    entry: string,
    args: string[] = [],
    extraEnv: Record<string, string> = {},
  ) => {
    const service = spawnNode(name, entry, { ...env, ...extraEnv }, args);
    services.push(service);
    tracked.push({ role, name, process: service, pid: service.child.pid! });
    return service;
  };
  let watch: Awaited<ReturnType<typeof monitor>> | undefined;
  let unitLoad: UnitLoad | undefined;
  const runners: ServiceProcess[] = [];
  try {
    const brokerNodeOptions = options.brokerNodeOptions ?? shippedBrokerNodeOptions() ?? '';
    progress('starting the broker and the registry');
    const heapFile = (role: Role) => join(dir.path, `heap-${role}.log`);
    const broker = start(
      'broker',
      'broker',
      'services/broker/dist/main.js',
      [],
      heapLogged(brokerNodeOptions, heapFile('broker')),
    );
    await Promise.race([
      waitForPort(brokerPort, 30_000),
      broker.exited.then(() => Promise.reject(new Error('the broker exited while starting'))),
    ]);
    watch = await monitor(`mqtt://127.0.0.1:${brokerPort}`);
    start(
      'registry',
      'registry',
      'services/device-registry/dist/main.js',
      [],
      heapLogged(process.env.NODE_OPTIONS ?? '', heapFile('registry')),
    );
    const online = (topic: string) => () => watch!.states.get(topic) === 'online';
    await watch.until('the registry', online('wattbus/registry/state'), 60_000);

    progress(`creating ${options.units} units in the registry`);
    unitLoad = await UnitLoad.connect({
      brokerUrl: `mqtt://127.0.0.1:${brokerPort}`,
      units: options.units,
      hardware: 10,
      rate: options.unitRate,
    });
    const createSeconds = await unitLoad.createUnits();
    progress(`created in ${createSeconds.toFixed(1)} s; starting ${options.runners} plugin runners`);

    const runnerEntry =
      options.runnerV8 === 'default'
        ? 'bench/fixtures/runner-default-v8.mjs'
        : 'services/plugin-runner/dist/main.js';
    // In groups, so that 2 cores are not asked to start 100 Node.js processes at the same moment.
    const group = 10;
    for (let i = 0; i < runnerIds.length; i += group) {
      const ids = runnerIds.slice(i, i + group);
      for (const id of ids) {
        runners.push(start('runner', id, runnerEntry, [id, '--plugins-dir', FIXTURES]));
      }
      await watch.until(
        `plugins ${ids[0]}..${ids.at(-1)} online`,
        () => ids.every((id) => watch!.states.get(`wattbus/plugins/${id}/state`) === 'online'),
        120_000,
      );
      failIfDead(tracked);
    }
    for (const runner of runners) {
      const children = childrenOf(runner.child.pid!);
      if (children.length !== 1)
        throw new Error(`${runner.name}: expected one plugin process, found ${children.length}`);
      tracked.push({ role: 'plugin', name: `${runner.name} (plugin)`, pid: children[0]! });
    }
    tracked.push({ role: 'bench', name: 'bench (load client, monitor)', pid: process.pid });
    const startupSeconds = (performance.now() - began) / 1000;

    // Idle: every runner up, no reading yet (the sampler is not running), nothing else going on.
    await sleep(3000);
    const idleFrom = tracked.map((entry) => cpuSeconds(entry.pid));
    const idleStarted = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idle = new Map(
      tracked.map((entry, i) => [
        entry.pid,
        { rss: memory(entry.pid).rss, cpu: (cpuSeconds(entry.pid) - idleFrom[i]!) / idleSeconds },
      ]),
    );

    progress('starting the sampler and the unit updates');
    const tapFile = join(dir.path, 'sampler-publishes.json');
    const sampler = start('sampler', 'sampler', 'services/sampler/dist/main.js', [], {
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --require ${join(FIXTURES, '..', 'publish-tap.cjs')}`.trim(),
      WATTBUS_BENCH_TAP_FILE: tapFile,
    });
    const readingsBefore = watch.readings.length;
    await watch.until('the first reading', () => watch!.readings.length > readingsBefore, 30_000);
    unitLoad.start();

    progress(`warming up for ${options.warmupSeconds} s`);
    await sleep(options.warmupSeconds * 1000);
    failIfDead(tracked);
    const pidsAtWarm = tracked.map((entry) => entry.pid);
    const warm = tracked.map((entry) => ({ rss: memory(entry.pid).rss, cpu: cpuSeconds(entry.pid) }));
    const maxRss = warm.map((entry) => entry.rss);
    const rssSeries = warm.map((entry) => [entry.rss]);
    const seriesTimes = [Date.now()];
    const machineAtWarm = machineCpu();
    const windowStart = Date.now();
    const windowStartedAt = performance.now();
    unitLoad.resetWindow();

    progress(`measuring for ${options.measureSeconds} s`);
    const measureEnd = windowStartedAt + options.measureSeconds * 1000;
    while (performance.now() < measureEnd) {
      await sleep(Math.min(5000, measureEnd - performance.now()));
      // First: a dead process has no /proc entry left to read.
      failIfDead(tracked);
      tracked.forEach((entry, i) => {
        const rss = memory(entry.pid).rss;
        maxRss[i] = Math.max(maxRss[i]!, rss);
        rssSeries[i]!.push(rss);
      });
      seriesTimes.push(Date.now());
    }
    const seconds = (performance.now() - windowStartedAt) / 1000;
    const windowEnd = Date.now();
    const end = tracked.map((entry) => ({ rss: memory(entry.pid).rss, cpu: cpuSeconds(entry.pid) }));
    const machineAtEnd = machineCpu();
    const loadAverage = loadavg()[0]!;
    const units = { ...unitLoad.measure(), createSeconds };
    // A plugin process that was restarted has a new pid under its runner.
    let restarts = 0;
    for (const runner of runners) {
      const entry = tracked.find((t) => t.role === 'plugin' && t.name === `${runner.name} (plugin)`)!;
      if (childrenOf(runner.child.pid!)[0] !== entry.pid) restarts++;
    }

    progress('stopping');
    await unitLoad.stop();
    unitLoad = undefined;
    // The probes write their samples when stopped.
    await Promise.all(runners.map((runner) => runner.stop(20_000)));
    await sampler.stop(10_000);
    if (!existsSync(tapFile)) throw new Error(`the sampler's publish tap wrote nothing (${tapFile})`);

    // The moment each reading left the sampler (its socket write), by the reading's timestamp.
    const tap = JSON.parse(readFileSync(tapFile, 'utf8')) as number[];
    const publishedAt = new Map<number, number>();
    for (let i = 0; i < tap.length; i += 2) publishedAt.set(tap[i]!, tap[i + 1]!);
    const inWindow = (timestamp: number) => timestamp >= windowStart && timestamp < windowEnd;
    const published = watch.readings.filter((reading) => inWindow(reading.timestamp));
    const ascending = (values: number[]) => values.sort((a, b) => a - b);
    const hop = ascending(
      published
        .filter((reading) => publishedAt.has(reading.timestamp))
        .map((reading) => reading.arrived - publishedAt.get(reading.timestamp)!),
    );
    const sincePublish: number[] = [];
    const sinceTimestamp: number[] = [];
    let worstPluginP99 = 0;
    let missed = 0;
    const perReading = new Map<number, { first: number; last: number }>();
    for (const id of runnerIds) {
      const file = join(dir.path, `${id}.json`);
      if (!existsSync(file)) throw new Error(`load probe ${id} wrote no samples (${file})`);
      const { samples } = JSON.parse(readFileSync(file, 'utf8')) as { samples: number[] };
      const mine: number[] = [];
      let received = 0;
      for (let i = 0; i < samples.length; i += 2) {
        const timestamp = samples[i]!;
        if (!inWindow(timestamp)) continue;
        received++;
        sinceTimestamp.push(samples[i + 1]! - timestamp);
        const sent = publishedAt.get(timestamp);
        if (sent === undefined) continue;
        const latency = samples[i + 1]! - sent;
        mine.push(latency);
        const spread = perReading.get(timestamp);
        if (spread) {
          spread.first = Math.min(spread.first, latency);
          spread.last = Math.max(spread.last, latency);
        } else perReading.set(timestamp, { first: latency, last: latency });
      }
      missed += Math.max(0, published.length - received);
      worstPluginP99 = Math.max(worstPluginP99, percentile(ascending(mine), 99));
      sincePublish.push(...mine);
    }
    ascending(sincePublish);
    ascending(sinceTimestamp);
    const firsts = ascending([...perReading.values()].map((spread) => spread.first));
    const lasts = ascending([...perReading.values()].map((spread) => spread.last));

    const processes: ProcessFigures[] = tracked.map((entry, i) => ({
      role: entry.role,
      name: entry.name,
      pid: pidsAtWarm[i]!,
      idleRss: idle.get(entry.pid)?.rss,
      idleCpu: idle.get(entry.pid)?.cpu,
      rssSeries: rssSeries[i]!,
      heapSeries:
        entry.role === 'broker' || entry.role === 'registry'
          ? heapAt(heapFile(entry.role), seriesTimes)
          : undefined,
      warmRss: warm[i]!.rss,
      endRss: end[i]!.rss,
      maxRss: maxRss[i]!,
      cpu: (end[i]!.cpu - warm[i]!.cpu) / seconds,
    }));
    return {
      options: {
        runners: options.runners,
        units: options.units,
        unitRate: options.unitRate,
        warmupSeconds: options.warmupSeconds,
        measureSeconds: options.measureSeconds,
        pluginNodeOptions: options.pluginNodeOptions,
        runnerV8: options.runnerV8,
        brokerNodeOptions,
      },
      readingRate: published.length / seconds,
      readingsInWindow: published.length,
      latency: {
        p50: percentile(sincePublish, 50),
        p99: percentile(sincePublish, 99),
        max: sincePublish.at(-1) ?? Number.NaN,
        samples: sincePublish.length,
      },
      fromTimestamp: { p50: percentile(sinceTimestamp, 50), p99: percentile(sinceTimestamp, 99) },
      worstPluginP99,
      firstPlugin: { p50: percentile(firsts, 50), p99: percentile(firsts, 99) },
      lastPlugin: { p50: percentile(lasts, 50), p99: percentile(lasts, 99) },
      missed,
      brokerHop: { p50: percentile(hop, 50), p99: percentile(hop, 99) },
      units,
      processes,
      restarts,
      startupSeconds,
      machine: {
        busy: (machineAtEnd.busy - machineAtWarm.busy) / seconds,
        others: Math.max(
          0,
          (machineAtEnd.busy - machineAtWarm.busy) / seconds -
            processes.reduce((sum, process) => sum + process.cpu, 0),
        ),
        cores: cpus().length,
        loadAverage,
      },
    };
  } catch (error) {
    // What the services and any process that exited logged (warnings and errors at this test's log level) is what
    // explains most failures; fifty live runners' lines would bury it.
    const logs = tracked
      .filter(
        (entry) =>
          entry.process && entry.process.lines.length > 0 && (entry.role !== 'runner' || exited(entry)),
      )
      .map((entry) => `--- ${entry.name}, last lines:\n${entry.process!.lines.slice(-20).join('\n')}`);
    if (logs.length === 0) throw error;
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error });
  } finally {
    await unitLoad?.stop().catch(() => {});
    await watch?.close().catch(() => {});
    // Runners first (they report to the registry and the broker as they stop), the broker last.
    await Promise.all(runners.map((runner) => runner.stop(5000)));
    for (const role of ['sampler', 'registry', 'broker'] as const) {
      await Promise.all(tracked.filter((t) => t.role === role).map((t) => t.process?.stop(10_000)));
    }
    dir.remove();
  }
}
