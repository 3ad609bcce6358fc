import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAX_BATCHED_UPDATES } from '@wattbus/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { handlePluginRequest } from '../services/device-registry/src/protocol/requests.js';
import type { Outputs } from '../services/device-registry/src/registry/context.js';
import { RegistryCore } from '../services/device-registry/src/registry/registry-core.js';
import { closeDatabase, openDatabase } from '../services/device-registry/src/store/database.js';
import { GroupCommit } from '../services/device-registry/src/store/group-commit.js';
import { RegistryStore } from '../services/device-registry/src/store/registry-store.js';
import { startMosquitto, startWattbusBroker, type TestBroker } from '../test/helpers/brokers.js';
import { freePort } from '../test/helpers/ports.js';
import { REPO_ROOT, spawnNode } from '../test/helpers/processes.js';
import { tempDir } from '../test/helpers/temp.js';
import { brokerPid, noDelay } from './lib/mqtt-bench.js';
import { cpuSeconds, percentile } from './lib/proc-stats.js';
import { shippedBrokerNodeOptions } from './lib/shipped-broker.js';
import { statePublishCeiling } from './registry/state-ceiling.js';
import { StateWatch } from './registry/state-watch.js';
import type { BenchResult, BenchSuite } from './report.js';

/**
 * The device registry: durable unit updates per second, and the command round trip (set -> the plugin's onCommand
 * -> its Update -> the new retained state) over loopback MQTT, each with `synchronous = "normal"` (the default)
 * and `"full"`. The plugin side is a small client that speaks the plugin protocol with mqtt.js, so the numbers
 * measure the registry and the broker rather than a plugin runtime. Every client here, like the registry's own
 * connection, turns Nagle's algorithm off (TCP_NODELAY): with it on, each hop of a request/response waits for a
 * delayed acknowledgement, about 40 ms.
 *
 * The throughput runs also report the CPU time each process spent per acknowledged update (registry, broker, load
 * client), which says what limits the rate on a machine whose cores they share. A subscriber to the unit states
 * runs alongside, as Home Assistant would (`StateWatch`): the broker delivers every state to it, and it checks that
 * each unit's state ends up showing the last update.
 *
 * `WATTBUS_BENCH_REGISTRY_BASELINE=<dir>` runs every MQTT benchmark a second time, interleaved, against another
 * build of the registry: `<dir>/services/device-registry/dist/main.js` next to a `<dir>/node_modules` in which
 * `@wattbus/shared` is that build's own (a copy of both `dist` folders, with the other packages linked). The
 * machine is shared and noisy, so a before/after comparison is only fair side by side in one run.
 */
const UNITS = 1000;
/** Units the MQTT runs update in turn: few enough that each is updated several times per commit... */
const MQTT_UNITS = 100;
/**
 * ...and, for the batched runs, also so many that every update of a commit is to another unit: no two share a state
 * message unless the registry falls behind the broker (STATES_IN_FLIGHT).
 */
const MANY_UNITS = 2000;
const THROUGHPUT_SECONDS = 5;
const ROUND_TRIPS = 400;
/**
 * Round trips made before the timed ones and not counted: the first ones run code that is not compiled yet and
 * fill the services' caches (in a trial run the very first took 10.5-17.0 ms against medians of 2.4-4.9 ms), which
 * is start-up, not the steady state the target is about.
 */
const WARM_UP_ROUND_TRIPS = 20;
const WINDOW = 1000;

type Synchronous = 'normal' | 'full';

interface Build {
  /** Appended to result names: '' for this tree's build. */
  label: string;
  /** The registry's entry file, relative to the repository root (spawnNode's convention). */
  entry: string;
}

function builds(): Build[] {
  const current: Build = { label: '', entry: 'services/device-registry/dist/main.js' };
  const baseline = process.env.WATTBUS_BENCH_REGISTRY_BASELINE;
  if (!baseline) return [current];
  const entry = relative(REPO_ROOT, join(resolve(baseline), 'services/device-registry/dist/main.js'));
  return [{ label: ' [baseline build]', entry }, current];
}

function progress(message: string): void {
  process.stderr.write(`  registry: ${message}\n`);
}

const quietOutputs: Outputs = {
  unitChanged() {},
  unitRemoved() {},
  devicesChanged() {},
  settingsChanged() {},
  pluginEvent() {},
  bridgeEvent() {},
};

/** The registry's own update path (validation, sValue rules, group commit), without MQTT. */
async function storeThroughput(synchronous: Synchronous): Promise<BenchResult> {
  const dir = tempDir('wattbus-bench-registry-');
  const opened = openDatabase({ path: join(dir.path, 'registry.db'), synchronous, maxDatabaseMb: 0 });
  const store = new RegistryStore(opened.db, false);
  const commit = new GroupCommit(store, 5000);
  const core = new RegistryCore(
    {
      store,
      outputs: quietOutputs,
      now: Date.now,
      timing: { historyIntervalMs: 300_000, maxGapMs: 300_000 },
    },
    commit,
  );
  const request = (op: string, body: Record<string, unknown>) => handlePluginRequest(core, 'bench', op, body);
  await request('hardware/announce', { plugin: 'bench', name: 'Bench', layout: 'extended' });
  await Promise.all(
    Array.from({ length: UNITS }, (_, i) =>
      request('unit/create', { deviceId: `meter${i}`, unit: 1, name: `m${i}`, typeName: 'kWh' }),
    ),
  );
  let done = 0;
  let commits = 0;
  const transaction = store.transaction.bind(store);
  store.transaction = (work) => {
    commits++;
    return transaction(work);
  };
  const started = performance.now();
  const deadline = started + THROUGHPUT_SECONDS * 1000;
  let step = 0;
  while (performance.now() < deadline) {
    const burst = Array.from({ length: 5000 }, () => {
      step++;
      return request('unit/update', {
        deviceId: `meter${step % UNITS}`,
        unit: 1,
        changes: { sValue: `${step % 3000};${step}` },
      });
    });
    await Promise.all(burst);
    done += burst.length;
  }
  const seconds = (performance.now() - started) / 1000;
  closeDatabase(opened.db, false);
  dir.remove();
  const rate = done / seconds;
  return {
    name: `durable unit updates (registry core, no MQTT, synchronous=${synchronous})`,
    value: rate,
    unit: 'updates/s',
    target: '>= 20 000 updates/s',
    met: rate >= 20_000,
    detail: `${done} unit/update requests on ${UNITS} kWh units in ${seconds.toFixed(1)} s, ${commits} commits${synchronous === 'full' ? ' (each synced to the disk)' : ''}, validation and sValue rules included; each request acknowledged after its commit`,
  };
}

interface RegistryUnderTest {
  pid: number;
  stop(): Promise<void>;
}

async function startRegistry(
  broker: TestBroker,
  build: Build,
  synchronous: Synchronous,
): Promise<RegistryUnderTest> {
  const dir = tempDir('wattbus-bench-registry-');
  const configFile = join(dir.path, 'config.toml');
  writeFileSync(configFile, '');
  const registry = spawnNode('registry', build.entry, {
    WATTBUS_CONFIG: configFile,
    WATTBUS_MQTT_URL: broker.url,
    WATTBUS__GENERAL__LOG_LEVEL: 'warn',
    WATTBUS__REGISTRY__DATABASE: join(dir.path, 'registry.db'),
    WATTBUS__REGISTRY__SYNCHRONOUS: synchronous,
    WATTBUS__REGISTRY__HTTP_PORT: String(await freePort()),
    WATTBUS__HOMEASSISTANT__CLEANUP_SCAN_SECONDS: '0.2',
  });
  // The ready line is at info level, which this run does not log: wait for the registry's state topic instead.
  const probe = await mqtt.connectAsync(broker.url);
  const online = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the registry did not come online:\n${registry.lines.join('\n')}`)),
      30_000,
    );
    probe.on('message', (_topic, payload) => {
      if (payload.toString() !== 'online') return;
      clearTimeout(timer);
      resolve();
    });
  });
  await probe.subscribeAsync('wattbus/registry/state');
  await online;
  await probe.endAsync();
  return {
    pid: registry.child.pid!,
    async stop() {
      await registry.stop();
      dir.remove();
    },
  };
}

/** A plugin speaking the protocol with raw mqtt.js: requests with transaction ids, answers matched by id. */
class BenchPlugin {
  private pending = new Map<string, (body: { status: string }) => void>();
  private counter = 0;
  private constructor(
    readonly client: MqttClient,
    readonly hw: string,
  ) {
    client.on('message', (topic, payload) => {
      if (!topic.includes('/response/')) return;
      const body = JSON.parse(payload.toString()) as {
        status: string;
        transaction: string;
        error?: string;
        data?: { results?: object[] };
      };
      const settle = this.pending.get(body.transaction);
      if (!settle) return;
      this.pending.delete(body.transaction);
      settle(body);
    });
  }

  static async connect(url: string, hw: string): Promise<BenchPlugin> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      will: { topic: `wattbus/plugins/${hw}/state`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    noDelay(client);
    await client.subscribeAsync(`wattbus/plugins/${hw}/response/#`, { qos: 1 });
    await client.publishAsync(`wattbus/plugins/${hw}/state`, 'online', { qos: 1, retain: true });
    return new BenchPlugin(client, hw);
  }

  /** Resolves with the answer, or with status "lost" when none came within 10 s. */
  request(
    op: string,
    body: Record<string, unknown>,
  ): Promise<{ status: string; error?: string; data?: { results?: object[] } }> {
    const transaction = `t${++this.counter}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        resolve({ status: 'lost' });
      }, 10_000);
      this.pending.set(transaction, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.client.publish(
        `wattbus/plugins/${this.hw}/request/${op}`,
        JSON.stringify({ ...body, transaction }),
        {
          qos: 1,
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.client.publishAsync(`wattbus/plugins/${this.hw}/state`, 'offline', { qos: 1, retain: true });
    await this.client.endAsync();
  }
}

interface CpuUsed {
  registry: number;
  /** NaN when the broker's process was not found. */
  broker: number;
  client: number;
}

/** CPU seconds of the registry, the broker and this process (the load client) from now on. */
function cpuMeter(registryPid: number, broker: number | undefined): () => CpuUsed {
  const registry = cpuSeconds(registryPid);
  const brokerStart = broker === undefined ? Number.NaN : cpuSeconds(broker);
  const client = process.cpuUsage();
  return () => {
    const own = process.cpuUsage(client);
    return {
      registry: cpuSeconds(registryPid) - registry,
      broker: broker === undefined ? Number.NaN : cpuSeconds(broker) - brokerStart,
      client: (own.user + own.system) / 1e6,
    };
  };
}

/**
 * `batch` is the number of updates per request: 1 sends `unit/update`s, more sends `units/update`s as the plugin
 * runner does. `units` is how many units the updates go to in turn.
 */
async function mqttThroughput(
  broker: TestBroker,
  build: Build,
  synchronous: Synchronous,
  { batch = 1, units = MQTT_UNITS } = {},
): Promise<BenchResult> {
  const registry = await startRegistry(broker, build, synchronous);
  const plugin = await BenchPlugin.connect(broker.url, 'bench');
  await plugin.request('hardware/announce', { plugin: 'bench', name: 'Bench', layout: 'extended' });
  for (let first = 0; first < units; first += WINDOW) {
    const created = await Promise.all(
      Array.from({ length: Math.min(WINDOW, units - first) }, (_, i) =>
        plugin.request('unit/create', {
          deviceId: `meter${first + i}`,
          unit: 1,
          name: `m${first + i}`,
          typeName: 'kWh',
        }),
      ),
    );
    const failed = created.find((answer) => answer.status !== 'ok');
    if (failed) throw new Error(`could not create the bench's units: ${JSON.stringify(failed)}`);
  }
  const watch = await StateWatch.start(broker.url, 'bench');
  let acked = 0;
  let refused = 0;
  let lost = 0;
  let lastAnswer = 0;
  let step = 0;
  const cpu = cpuMeter(registry.pid, brokerPid(broker));
  watch.received = 0;
  const started = performance.now();
  const deadline = started + THROUGHPUT_SECONDS * 1000;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const nextUpdate = () => {
      step++;
      const update = {
        deviceId: `meter${step % units}`,
        unit: 1,
        changes: { sValue: `${step % 3000};${step}` },
      };
      watch.sent(update.deviceId, update.changes.sValue);
      return update;
    };
    const send = () => {
      while (inFlight < WINDOW && performance.now() < deadline) {
        inFlight += batch;
        const request =
          batch === 1
            ? plugin.request('unit/update', nextUpdate())
            : plugin.request('units/update', { updates: Array.from({ length: batch }, nextUpdate) });
        request.then((answer) => {
          inFlight -= batch;
          const results = answer.data?.results;
          if (answer.status === 'ok') {
            const failed = results?.filter((result) => 'error' in result).length ?? 0;
            acked += batch - failed;
            refused += failed;
            lastAnswer = performance.now();
          } else if (answer.status === 'lost') lost += batch;
          else refused += batch;
          if (performance.now() < deadline) send();
          else if (inFlight === 0) resolve();
        });
      }
    };
    send();
  });
  const used = cpu();
  const states = watch.received;
  const caughtUp = await watch.caughtUp();
  await watch.stop();
  // Up to the last answer: requests that never got one do not stretch the time.
  const seconds = (lastAnswer - started) / 1000;
  await plugin.close();
  await registry.stop();
  const rate = acked / seconds;
  const perUpdate = (cpuTime: number) => (Number.isNaN(cpuTime) ? '?' : Math.round((cpuTime / acked) * 1e6));
  const share = (cpuTime: number) => (Number.isNaN(cpuTime) ? '?' : Math.round((cpuTime / seconds) * 100));
  return {
    name: `durable unit updates over MQTT${batch > 1 ? `, ${batch} per request` : ''}, ${units} units (${broker.kind} broker, synchronous=${synchronous})${build.label}`,
    value: rate,
    unit: 'updates/s',
    target: '>= 20 000 updates/s',
    // A request without an answer is a lost message somewhere: never "met", whatever the rate.
    met: rate >= 20_000 && caughtUp.behind === 0 && lost === 0,
    detail:
      `${acked} acknowledged (${refused} refused, ${lost} unanswered after 10 s) in ${seconds.toFixed(1)} s with ${WINDOW} updates in flight ${batch > 1 ? `in units/update requests of ${batch}` : 'as unit/update requests'} on ${units} kWh units. ` +
      `A subscriber to the unit states (QoS 1, as Home Assistant) received ${states} states during the run (${(states / Math.max(acked, 1)).toFixed(2)} per update); ` +
      (caughtUp.behind === 0
        ? `every unit's state showed its last update ${caughtUp.ms.toFixed(0)} ms after the run. `
        : `**${caughtUp.behind} units still showed an older state ${(caughtUp.ms / 1000).toFixed(0)} s after the run**. `) +
      `CPU per update: registry ${perUpdate(used.registry)} µs, broker ${perUpdate(used.broker)} µs, load client ${perUpdate(used.client)} µs; ` +
      `share of one core: registry ${share(used.registry)} %, broker ${share(used.broker)} %, load client ${share(used.client)} %`,
  };
}

async function commandRoundTrip(
  broker: TestBroker,
  build: Build,
  synchronous: Synchronous,
): Promise<BenchResult[]> {
  const registry = await startRegistry(broker, build, synchronous);
  const plugin = await BenchPlugin.connect(broker.url, 'lamp');
  await plugin.request('hardware/announce', { plugin: 'lamp', name: 'Lamp', layout: 'extended' });
  await plugin.request('unit/create', { deviceId: 'lamp', unit: 1, name: 'Lamp', typeName: 'Switch' });
  // The plugin's onCommand: switch, then Update with the new value.
  await plugin.client.subscribeAsync('wattbus/plugins/lamp/command', { qos: 1 });
  plugin.client.on('message', (topic, payload) => {
    if (topic !== 'wattbus/plugins/lamp/command') return;
    const command = JSON.parse(payload.toString()) as { command: string };
    void plugin.request('unit/update', {
      deviceId: 'lamp',
      unit: 1,
      changes: { nValue: command.command === 'On' ? 1 : 0, sValue: command.command },
    });
  });
  const watcher = noDelay(await mqtt.connectAsync(broker.url, { protocolVersion: 5 }));
  let waiting: { nValue: number; resolve(): void } | undefined;
  watcher.on('message', (_topic, payload) => {
    const state = JSON.parse(payload.toString()) as { nValue: number };
    if (waiting && state.nValue === waiting.nValue) waiting.resolve();
  });
  await watcher.subscribeAsync('wattbus/devices/lamp/lamp/1', { qos: 1 });
  const sender = noDelay(await mqtt.connectAsync(broker.url, { protocolVersion: 5 }));
  const latencies: number[] = [];
  let lost = 0;
  for (let i = -WARM_UP_ROUND_TRIPS; i < ROUND_TRIPS; i++) {
    const on = i % 2 === 0;
    const started = performance.now();
    const arrived = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000);
      waiting = {
        nValue: on ? 1 : 0,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      sender.publish('wattbus/devices/lamp/lamp/1/set', on ? 'On' : 'Off', { qos: 1 });
    });
    waiting = undefined;
    if (i < 0) continue;
    if (arrived) latencies.push(performance.now() - started);
    else lost++;
  }
  await sender.endAsync();
  await watcher.endAsync();
  await plugin.close();
  await registry.stop();
  latencies.sort((a, b) => a - b);
  const detail = `${latencies.length} round trips (set -> onCommand -> Update -> retained state) after ${WARM_UP_ROUND_TRIPS} not counted, ${lost} lost or over 2 s; QoS 1 throughout; max ${latencies.at(-1)?.toFixed(1)} ms`;
  const p99 = percentile(latencies, 99);
  const name = (which: string) =>
    `command round trip ${which} (${broker.kind} broker, synchronous=${synchronous})${build.label}`;
  return [
    { name: name('p50'), value: percentile(latencies, 50), unit: 'ms', detail },
    {
      name: name('p99'),
      value: p99,
      unit: 'ms',
      target: '< 20 ms',
      met: p99 < 20 && lost === 0,
      detail,
    },
  ];
}

export const suite: BenchSuite = {
  area: 'registry',
  command: 'npx tsx bench/run-all.ts registry',
  async run() {
    const results: BenchResult[] = [];
    for (const synchronous of ['normal', 'full'] as const) {
      progress(`durable updates, registry core, synchronous=${synchronous}`);
      results.push(await storeThroughput(synchronous));
    }
    const compared = builds();
    // Mosquitto sends each packet at once (TCP_NODELAY), as a latency-minded installation configures it; the
    // embedded broker runs as it ships (docker-compose.yml's NODE_OPTIONS).
    const embedded = () => startWattbusBroker({ NODE_OPTIONS: shippedBrokerNodeOptions() ?? '' });
    for (const start of [embedded, () => startMosquitto('set_tcp_nodelay true')]) {
      const broker = await start();
      try {
        progress(`retained state publishes alone (${broker.kind})`);
        results.push(await statePublishCeiling(broker));
        for (const synchronous of ['normal', 'full'] as const) {
          for (const build of compared) {
            progress(`durable updates over MQTT (${broker.kind}, synchronous=${synchronous})${build.label}`);
            results.push(await mqttThroughput(broker, build, synchronous));
            progress(
              `durable updates over MQTT, ${MAX_BATCHED_UPDATES} per request (${broker.kind}, synchronous=${synchronous})${build.label}`,
            );
            results.push(await mqttThroughput(broker, build, synchronous, { batch: MAX_BATCHED_UPDATES }));
            if (synchronous === 'normal') {
              progress(
                `durable updates over MQTT, ${MAX_BATCHED_UPDATES} per request, ${MANY_UNITS} units (${broker.kind})${build.label}`,
              );
              results.push(
                await mqttThroughput(broker, build, synchronous, {
                  batch: MAX_BATCHED_UPDATES,
                  units: MANY_UNITS,
                }),
              );
            }
          }
          for (const build of compared) {
            progress(`command round trip (${broker.kind}, synchronous=${synchronous})${build.label}`);
            results.push(...(await commandRoundTrip(broker, build, synchronous)));
          }
        }
      } finally {
        await broker.stop();
      }
    }
    return results;
  },
};
