import { join } from 'node:path';
import type { UnitState } from '@wattbus/shared';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWattbusBroker } from '../helpers/brokers.js';
import { TestClient } from '../helpers/mqtt.js';
import { stopAllProcesses } from '../helpers/processes.js';
import { readRetainedTopics } from '../helpers/retained.js';
import { startStack } from '../helpers/stack.js';
import { commandUnit, FIXTURE_PLUGINS, sleep } from './support.js';

/**
 * Issue 8, fault 2: the registry is killed with `kill -9` while a real plugin runner bursts unit updates through
 * it (and the sampler and another plugin keep the rest of the bus busy). After a restart every update whose
 * acknowledgement reached the bus is in the database, nothing is there that was never sent, the retained state
 * topics agree with the database, and the plugin runners carry on without a restart of their own.
 */

// Real processes on a machine shared with other suites: the waits are generous, the work is not.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const UNITS = 10;
const KILL_AFTER_ACKS = 1000;
const CONFIG = `
[plugins.probe]
enabled = true
plugin = "fault_probe"
mirror_interval = 0.5

[plugins.burst]
enabled = true
plugin = "fault_burst"
units = ${UNITS}
in_flight = 100

[homeassistant]
cleanup_scan_seconds = 1
`;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await stopAllProcesses();
});

interface UnitUpdate {
  unit: number;
  changes?: { sValue?: string };
}
interface UpdateResult {
  unit?: { unit: number; deviceId: string; sValue: string };
}
/** A `unit/update` or `units/update` (the runner sends a burst as the latter) request or response. */
interface UpdateMessage extends Partial<UnitUpdate> {
  updates?: UnitUpdate[];
  status?: string;
  data?: UpdateResult & { results?: UpdateResult[] };
}

describe('the registry killed with kill -9 during a burst of unit updates', () => {
  it('keeps every acknowledged update, and its retained states agree with the database', async () => {
    const broker = await startWattbusBroker();
    cleanup.push(() => broker.stop());

    // The plugin's requests and the registry's answers, as they cross the bus: per unit, the highest value sent
    // and the highest value acknowledged.
    const sent = new Map<number, number>();
    const acked = new Map<number, number>();
    let ackCount = 0;
    const spy = await TestClient.connect(broker.url);
    cleanup.push(() => spy.close());
    spy.client.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString('utf8')) as UpdateMessage;
      if (topic.includes('/request/')) {
        for (const update of message.updates ?? [message as UnitUpdate]) {
          const value = Number(update.changes?.sValue);
          sent.set(update.unit, Math.max(sent.get(update.unit) ?? 0, value));
        }
      } else if (message.status === 'ok') {
        for (const result of message.data?.results ?? [message.data ?? {}]) {
          if (!result.unit) continue;
          const { unit, sValue } = result.unit;
          acked.set(unit, Math.max(acked.get(unit) ?? 0, Number(sValue)));
          ackCount++;
        }
      }
    });
    await spy.subscribe(
      ['request', 'response'].flatMap((way) =>
        ['unit/update', 'units/update'].map((op) => `wattbus/plugins/burst/${way}/${op}`),
      ),
    );
    const watcher = await TestClient.connect(broker.url);
    cleanup.push(() => watcher.close());
    await watcher.subscribe([
      'wattbus/devices/probe/#',
      'wattbus/plugins/+/lifecycle',
      'wattbus/bridge/event',
    ]);

    const stack = await startStack(broker, {
      plugins: ['probe', 'burst'],
      pluginsDir: FIXTURE_PLUGINS,
      extraConfig: CONFIG,
    });
    cleanup.push(() => stack.stop());
    const database = join(stack.dataDir, 'registry/registry.db');

    await expect
      .poll(() => ackCount, { timeout: 45_000, interval: 20 })
      .toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(await stack.process('registry').kill9()).toBe('SIGKILL');
    // Let the answers already on their way arrive, then freeze what was acknowledged: the burst plugin has all
    // its updates outstanding now and stops at the first that times out, so the new registry acknowledges none.
    await sleep(1000);
    const ackedBefore = new Map(acked);
    const acksBefore = ackCount;
    expect(ackedBefore.size).toBe(UNITS);

    const restartedAt = Date.now();
    const registry = stack.restart('registry');
    await registry.waitForLine(/"msg":"discovery published"/, 30_000);

    const db = new BetterSqlite3(database, { readonly: true });
    const stored = new Map(
      (
        db
          .prepare(
            "SELECT unit, s_value FROM units WHERE device_id = 'burst' AND hardware_id = (SELECT id FROM hardware WHERE key = 'burst')",
          )
          .all() as { unit: number; s_value: string }[]
      ).map((row) => [row.unit, Number(row.s_value)]),
    );
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    for (let unit = 1; unit <= UNITS; unit++) {
      // Nothing acknowledged is lost; beyond that, only updates whose acknowledgement the kill swallowed.
      expect(stored.get(unit), `unit ${unit}`).toBeGreaterThanOrEqual(ackedBefore.get(unit)!);
      expect(stored.get(unit), `unit ${unit}`).toBeLessThanOrEqual(sent.get(unit)!);
    }

    // The retained states, as a new subscriber sees them, are the database's.
    const states = await readRetainedTopics(broker.url, ['wattbus/devices/burst/+/+'], { minCount: UNITS });
    expect(states.size).toBe(UNITS);
    for (let unit = 1; unit <= UNITS; unit++) {
      const state = JSON.parse(states.get(`wattbus/devices/burst/burst/${unit}`)!) as UnitState;
      expect(Number(state.sValue), `retained state of unit ${unit}`).toBe(stored.get(unit));
    }

    // The other plugin carries on through the new registry: readings still reach its unit, and commands it.
    await watcher.waitForJson(
      'wattbus/devices/probe/probe/1',
      (state: UnitState) => Date.parse(state.sValue) > restartedAt,
      20_000,
    );
    await commandUnit(watcher, 'wattbus/devices/probe/probe/2', 'On');

    // Neither runner went down over it.
    for (const name of ['plugin-probe', 'plugin-burst', 'sampler']) {
      expect(stack.process(name).child.exitCode, `${name} is still running`).toBeNull();
    }
    // The premise held: no update of the burst was acknowledged by the new registry (so nothing newer could hide
    // a lost one).
    expect(ackCount).toBe(acksBefore);
    const failures = watcher.messages.filter(
      (message) => message.topic.endsWith('/lifecycle') && message.text.includes('plugin_failed'),
    );
    expect(failures.map((message) => message.text)).toEqual([]);
  });
});
