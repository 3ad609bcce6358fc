import { Energy, type UnitState } from '@wattbus/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestBroker } from '../helpers/brokers.js';
import { TestClient } from '../helpers/mqtt.js';
import { stopAllProcesses } from '../helpers/processes.js';
import { readRetainedTopics } from '../helpers/retained.js';
import { startStack } from '../helpers/stack.js';
import { tempDir } from '../helpers/temp.js';
import { commandUnit, FIXTURE_PLUGINS, parseLog, sleep, waitForLog } from './support.js';

/**
 * Issue 8, fault 1 (run by broker-restart.embedded.test.ts and broker-restart.mosquitto.test.ts, one file per
 * broker so that the two run in parallel): the broker restarts under a running stack (sampler, registry, one plugin runner): stopped
 * with its store kept, killed with kill -9, and stopped and back with an empty store. Every service must be
 * connected and subscribed again within 5 s of the broker's return, every retained topic (readings, energy, unit
 * state, discovery, state topics) must be back, from the store or republished, and a command sent afterwards must
 * reach the plugin.
 */

const CONFIG = `
[plugins.probe]
enabled = true
plugin = "fault_probe"
mirror_interval = 0.5

[homeassistant]
cleanup_scan_seconds = 1
`;
// The services' default reconnect period (the test config's 0.2 s would flatter the result).
const ENV = { WATTBUS__MQTT__RECONNECT_PERIOD: '1', WATTBUS__SAMPLER__ENERGY_PUBLISH_INTERVAL: '2' };
const SERVICES = ['registry', 'sampler', 'plugin-probe'] as const;
const FILTERS = ['wattbus/#', 'homeassistant/#'];
const MIRROR = 'wattbus/devices/probe/probe/1';
const RELAY = 'wattbus/devices/probe/probe/2';
const STATE_TOPICS = ['wattbus/sampler/state', 'wattbus/registry/state', 'wattbus/plugins/probe/state'];
const RECONNECT_LIMIT_MS = 5000;
/** A clean stop, a crash (whatever the store had not written yet is gone), and a broker that lost its store. */
const PHASES = [
  { phase: 'stopped, store kept', crash: false, keepStore: true },
  { phase: 'killed with kill -9, store kept', crash: true, keepStore: true },
  { phase: 'stopped, empty store', crash: false, keepStore: false },
];

/** Starts the broker under test, on a given port (for the restart) and data directory. */
export type StartBroker = (options: { port?: number; dataDir: string }) => Promise<TestBroker>;

const cleanup: (() => Promise<void> | void)[] = [];

function newDataDir(): string {
  const dir = tempDir('wattbus-fault-broker-');
  cleanup.push(() => dir.remove());
  return dir.path;
}

/** Topics whose payload must come back byte for byte: nothing about them changes while the broker is away. */
function isStable(topic: string): boolean {
  return topic.startsWith('homeassistant/') || topic === RELAY || topic === 'wattbus/bridge/settings';
}

export function describeBrokerRestart(name: string, startBroker: StartBroker): void {
  describe(`a restart of ${name}`, () => {
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
      await stopAllProcesses();
    });

    it('is survived by every service: a clean stop, a crash, and an empty store', async () => {
      let broker = await startBroker({ dataDir: newDataDir() });
      cleanup.push(() => broker.stop());
      const stack = await startStack(broker, {
        plugins: ['probe'],
        pluginsDir: FIXTURE_PLUGINS,
        extraConfig: CONFIG,
        env: ENV,
      });
      cleanup.push(() => stack.stop());

      const watcher = await TestClient.connect(broker.url);
      await watcher.subscribe(FILTERS);
      await watcher.waitForJson(
        'wattbus/bridge/event',
        (event: { type?: string; data?: { plugin?: string } }) =>
          event.type === 'plugin_started' && event.data?.plugin === 'probe',
        30_000,
      );
      await watcher.waitFor(MIRROR, undefined, 30_000);
      await watcher.waitFor(RELAY, undefined, 30_000);
      await watcher.waitFor('wattbus/energy', undefined, 30_000);
      await stack.process('registry').waitForLine(/"msg":"discovery published"/, 30_000);
      await commandUnit(watcher, RELAY, 'On');
      await watcher.close();

      let relay: 'ON' | 'OFF' = 'ON';
      for (const { phase, crash, keepStore } of PHASES) {
        const before = await readRetainedTopics(broker.url, FILTERS, { minCount: 10 });
        expect([...before.keys()], phase).toEqual(
          expect.arrayContaining([
            'wattbus/readings',
            'wattbus/readings/ct/1',
            'wattbus/energy',
            MIRROR,
            RELAY,
            'wattbus/bridge/devices',
            ...STATE_TOPICS,
          ]),
        );
        expect([...before.keys()].filter((topic) => topic.startsWith('homeassistant/')).length).toBe(2);

        // Down long enough for every service to notice and fail a reconnect attempt, then back on the same port.
        const logFrom = new Map(SERVICES.map((name) => [name, stack.process(name).lines.length]));
        if (crash) await broker.kill9();
        else await broker.stop();
        await sleep(1500);
        broker = await startBroker({ port: broker.port, dataDir: keepStore ? broker.dataDir : newDataDir() });
        const returnedAt = Date.now();

        const watcher = await TestClient.connect(broker.url);
        await watcher.subscribe(FILTERS);

        // 1. Every service is connected again (and, in the same step, subscribed) within 5 s.
        for (const name of SERVICES) {
          const connected = await waitForLog(
            stack.process(name),
            logFrom.get(name)!,
            (entry) => entry.msg === 'connected to MQTT broker' && entry.reconnect === true,
          );
          const after = Date.parse(String(connected.time)) - returnedAt;
          expect(after, `${name} reconnected ${after} ms after the broker's return (${phase})`).toBeLessThan(
            RECONNECT_LIMIT_MS,
          );
        }

        // Readings flow again: from the sampler, and through the runner's resubscribed feed into the plugin, whose
        // update goes through the registry's resubscribed request topic.
        await watcher.waitForJson(
          'wattbus/readings',
          (r: { timestamp: string }) => Date.parse(r.timestamp) > returnedAt,
          30_000,
        );
        await watcher.waitForJson(
          MIRROR,
          (state: UnitState) => Date.parse(state.sValue) > returnedAt,
          30_000,
        );

        // 2. Every retained topic is back (from the store, or republished by its owner) with what it held.
        let after = new Map<string, string>();
        await expect
          .poll(
            async () => {
              after = await readRetainedTopics(broker.url, FILTERS, { minCount: 1, quietMs: 300 });
              return [...before.keys()].filter((topic) => !after.has(topic));
            },
            { timeout: 30_000, interval: 500 },
          )
          .toEqual([]);
        for (const topic of before.keys()) {
          if (isStable(topic)) expect(after.get(topic), `${topic} (${phase})`).toBe(before.get(topic));
        }
        expect((JSON.parse(after.get(RELAY)!) as UnitState).state).toBe(relay);
        const energyBefore = Energy.parse(JSON.parse(before.get('wattbus/energy')!));
        const energyAfter = Energy.parse(JSON.parse(after.get('wattbus/energy')!));
        expect(energyAfter.home.import_wh).toBeGreaterThanOrEqual(energyBefore.home.import_wh);
        expect(energyAfter.net.export_wh).toBeGreaterThanOrEqual(energyBefore.net.export_wh);

        // 3. A command sent after the reconnect reaches the plugin, whose update comes back as the unit's state.
        relay = relay === 'ON' ? 'OFF' : 'ON';
        await commandUnit(watcher, RELAY, relay === 'ON' ? 'On' : 'Off');

        // The state topics read online, also a while later (a broker that replays stored wills of the connections
        // it lost would turn them offline behind the services' backs).
        await sleep(1000);
        const states = await readRetainedTopics(broker.url, STATE_TOPICS, { minCount: STATE_TOPICS.length });
        expect(Object.fromEntries(states), phase).toEqual(
          Object.fromEntries(STATE_TOPICS.map((topic) => [topic, 'online'])),
        );
        await watcher.close();
      }

      for (const name of SERVICES) {
        const process = stack.process(name);
        expect(process.child.exitCode, `${name} is still running`).toBeNull();
        const failures = process.lines.filter((line) =>
          /subscribe failed|refused the subscription/.test(line),
        );
        expect(failures, name).toEqual([]);
        expect(process.lines.map(parseLog).filter((entry) => entry?.level === 'fatal')).toEqual([]);
      }
    });
  });
}
