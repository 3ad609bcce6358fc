import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type PluginRequestClient, RequestError } from '@wattbus/shared';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { tempDir } from '../../../test/helpers/temp.js';
import {
  connectPlugin,
  type RegistryProcess,
  readRetained,
  startRegistryProcess,
  waitUntilCleared,
} from './processes.js';

let broker: TestBroker;
const dirs: { path: string; remove(): void }[] = [];
const running: RegistryProcess[] = [];

beforeAll(async () => {
  broker = await startWattbusBroker();
});
// A registry left running by a failed test would answer the next test's requests too.
afterEach(async () => {
  await Promise.all(running.splice(0).map((registry) => registry.process.stop()));
});
afterAll(async () => {
  await broker?.stop();
  for (const dir of dirs) dir.remove();
});

function newDir(prefix: string) {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, env: Record<string, string> = {}, configDir = dataDir) {
  const registry = await startRegistryProcess(broker, dataDir, env, configDir);
  running.push(registry);
  return registry;
}

/** Every retained unit state of one hardware, read from the broker's store. */
async function retainedStates(hardware: string, expected: number): Promise<Map<string, string>> {
  const client = await TestClient.connect(broker.url, { protocolVersion: 4 });
  const filter = `wattbus/devices/${hardware}/+/+`;
  await client.subscribe(filter);
  await expect.poll(() => client.messages.filter((m) => m.retain).length, { timeout: 15_000 }).toBe(expected);
  const states = new Map(
    client.messages.map((m) => [m.topic, (JSON.parse(m.text) as { sValue: string }).sValue]),
  );
  await client.close();
  return states;
}

// `normal` (the default) and `full` both keep every acknowledged change through a crash of the process; `full`
// adds a sync per commit for power cuts, which no test here can cut.
// `units/update` is how the plugin runner sends a burst: each result without an error must be durable as well.
describe.each([
  ['normal', 'unit/update'],
  ['full', 'unit/update'],
  ['normal', 'units/update'],
] as const)('kill -9 during a burst of updates (synchronous = %s, %s requests)', (synchronous, op) => {
  it('keeps every acknowledged update, and the retained states agree with the database', async () => {
    const batched = op === 'units/update';
    const hardware = `burst_${synchronous}${batched ? '_batched' : ''}`;
    const dir = newDir('wattbus-registry-kill-');
    const first = await start(dir.path, { WATTBUS__REGISTRY__SYNCHRONOUS: synchronous });
    const plugin = await connectPlugin(broker, hardware);
    const client: PluginRequestClient = plugin.client;
    await client.request('hardware/announce', {
      plugin: 'b',
      name: 'Burst',
      layout: 'extended',
      settings: {},
    });
    const UNITS = 20;
    for (let unit = 1; unit <= UNITS; unit++) {
      await client.request('unit/create', {
        deviceId: 'meter',
        unit,
        name: `m${unit}`,
        typeName: 'Counter',
        sValue: '0',
      });
    }

    // Updates carry increasing values per unit; each acknowledgement records the value the unit must keep.
    const acked = new Map<number, number>();
    const sent = new Map<number, number>();
    let ackCount = 0;
    let killed = false;
    const inFlight = new Set<Promise<void>>();
    const acknowledge = (unit: number, step: number) => {
      acked.set(unit, Math.max(acked.get(unit) ?? 0, step));
      ackCount++;
    };
    const everyUnit = Array.from({ length: UNITS }, (_, index) => index + 1);
    for (let step = 1; !killed && step <= 20_000; step++) {
      // A batch updates every unit to this step's value; a single request updates one unit.
      const units = batched ? everyUnit : [(step % UNITS) + 1];
      for (const unit of units) sent.set(unit, step);
      const updates = units.map((unit) => ({ deviceId: 'meter', unit, changes: { sValue: String(step) } }));
      const answered = batched
        ? client.request('units/update', { updates }, 20_000).then(({ results }) =>
            results.forEach((result, index) => {
              if (!('error' in result)) acknowledge(units[index]!, step);
            }),
          )
        : client.request('unit/update', updates[0]!, 20_000).then(() => acknowledge(units[0]!, step));
      const request = answered
        .then(
          () => {},
          (error: unknown) => {
            if (!(error instanceof RequestError)) throw error;
          },
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      if (inFlight.size >= 200) await Promise.race(inFlight);
      if (ackCount >= 1500 && !killed) {
        killed = true;
        await first.process.kill9();
      }
    }
    expect(killed).toBe(true);
    client.cancelAll('the registry was killed');
    await Promise.allSettled(inFlight);
    await plugin.bus.close();

    // Retained leftovers that the restarted registry must clean up, and one that is not ours to touch.
    const watcher = await TestClient.connect(broker.url);
    const orphan = `homeassistant/sensor/wattbus_${hardware}/ghost_1/config`;
    const foreign = 'homeassistant/sensor/someone_else/thing/config';
    const owned = { unique_id: 'ghost', availability: [{ topic: 'wattbus/registry/state' }] };
    await watcher.publish(orphan, JSON.stringify(owned), { retain: true });
    await watcher.publish(
      foreign,
      JSON.stringify({ unique_id: 'x', availability: [{ topic: 'other/state' }] }),
      {
        retain: true,
      },
    );
    await watcher.publish(`wattbus/devices/${hardware}/ghost/1`, '{"sValue":"stale"}', { retain: true });

    // A request someone published with retain: the broker hands it to the restarted registry, which must not run it
    // (it would set unit 1 beyond anything sent, which the checks below would see).
    const staleRequest = `wattbus/plugins/${hardware}/request/unit/update`;
    await watcher.subscribe('wattbus/bridge/event');
    const staleRejected = watcher.waitForJson<{ type: string; data: { topic: string; error: string } }>(
      'wattbus/bridge/event',
      (event) => event.type === 'request_rejected' && event.data.topic === staleRequest,
      30_000,
    );
    await watcher.publish(
      staleRequest,
      JSON.stringify({
        transaction: 'stale',
        deviceId: 'meter',
        unit: 1,
        changes: { sValue: '999999999' },
      }),
      { retain: true },
    );

    const second = await start(dir.path, { WATTBUS__REGISTRY__SYNCHRONOUS: synchronous });
    expect((await staleRejected).data.error).toMatch(/stale/);
    await second.process.waitForLine(/"msg":"discovery published"/, 20_000);
    const db = new BetterSqlite3(second.database, { readonly: true });
    const stored = new Map(
      (db.prepare('SELECT unit, s_value FROM units').all() as { unit: number; s_value: string }[]).map(
        (row) => [row.unit, Number(row.s_value)],
      ),
    );
    db.close();
    expect(acked.size).toBe(UNITS);
    for (let unit = 1; unit <= UNITS; unit++) {
      // Nothing acknowledged is lost; at most updates whose acknowledgement the kill swallowed are extra.
      expect(stored.get(unit)!, `unit ${unit}`).toBeGreaterThanOrEqual(acked.get(unit)!);
      expect(stored.get(unit)!, `unit ${unit}`).toBeLessThanOrEqual(sent.get(unit)!);
    }
    const states = await retainedStates(hardware, UNITS);
    for (let unit = 1; unit <= UNITS; unit++) {
      expect(states.get(`wattbus/devices/${hardware}/meter/${unit}`)).toBe(String(stored.get(unit)));
    }

    await waitUntilCleared(broker.url, orphan);
    await waitUntilCleared(broker.url, `wattbus/devices/${hardware}/ghost/1`);
    expect(JSON.parse(await readRetained(broker.url, foreign))).toMatchObject({ unique_id: 'x' });
    await watcher.publish(foreign, '', { retain: true });
    await watcher.publish(staleRequest, '', { retain: true });
    await watcher.close();
    await second.process.stop();
  });
});

describe('storage trouble', () => {
  it('stays up when the database is full: refuses changes with the reason, answers reads, recovers', async () => {
    const dir = newDir('wattbus-registry-full-');
    const registry = await start(dir.path, { WATTBUS__REGISTRY__MAX_DATABASE_MB: '1' });
    const watcher = await TestClient.connect(broker.url);
    await watcher.subscribe('wattbus/bridge/event');
    const plugin = await connectPlugin(broker, 'filler');
    await plugin.client.request('hardware/announce', {
      plugin: 'f',
      name: 'Filler',
      layout: 'extended',
      settings: {},
    });
    const big = 'x'.repeat(4000);
    let refusal: Error | undefined;
    for (let first = 1; first <= 255 && !refusal; first += 25) {
      const units = Array.from({ length: Math.min(25, 256 - first) }, (_, i) => first + i);
      const results = await Promise.allSettled(
        units.map((unit) =>
          plugin.client.request('unit/create', {
            deviceId: 'fill',
            unit,
            name: 'f',
            typeName: 'Text',
            sValue: big,
            description: big,
          }),
        ),
      );
      refusal = results.find((result) => result.status === 'rejected')?.reason as Error | undefined;
    }
    expect(refusal?.message).toMatch(
      /storage unavailable, nothing was changed: the database or the disk is full/,
    );
    // Creates of the same round that still fitted may commit after the refused one and end degraded mode again
    // (rightly: storage worked). One more with nothing else in flight is refused and leaves it degraded.
    let last: Error | undefined;
    for (let unit = 1; unit <= 255 && !last; unit++) {
      await plugin.client
        .request('unit/create', { deviceId: 'fill-2', unit, name: 'f', typeName: 'Text', sValue: big })
        .catch((error: Error) => {
          last = error;
        });
    }
    expect(last?.message).toMatch(/storage unavailable, nothing was changed/);
    await watcher.waitForJson(
      'wattbus/bridge/event',
      (event: { type: string }) => event.type === 'registry_degraded',
    );
    const health = await fetch(`http://127.0.0.1:${registry.httpPort}/api/health`);
    expect(await health.json()).toMatchObject({ data: { database: 'degraded' } });
    // Reads are still answered from memory.
    const kept = await plugin.client.request('unit/refresh', { deviceId: 'fill', unit: 2 });
    expect(kept.unit?.sValue).toBe(big);
    const report = (await (await fetch(`http://127.0.0.1:${registry.httpPort}/api/health`)).json()) as {
      data: { units: number };
    };
    const count = report.data.units;
    expect(count).toBeGreaterThan(10);

    // Deleting frees pages: the next change commits and the registry leaves degraded mode.
    for (const unit of [1, 3, 4, 5, 6])
      await plugin.client.request('unit/delete', { deviceId: 'fill', unit });
    await plugin.client.request('unit/update', {
      deviceId: 'fill',
      unit: 2,
      changes: { sValue: 'small again' },
    });
    await watcher.waitForJson(
      'wattbus/bridge/event',
      (event: { type: string }) => event.type === 'registry_recovered',
    );
    await plugin.bus.close();
    await watcher.close();
    await registry.process.stop();

    const db = new BetterSqlite3(registry.database, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM units').get() as { n: number }).n).toBe(count - 5);
    db.close();
  });

  describe('a read-only data directory', () => {
    const dir = newDir('wattbus-registry-ro-');
    const mountPoint = join(dir.path, 'data');
    let mounted = false;
    let skipReason: string | undefined;

    beforeAll(() => {
      if (process.getuid?.() !== 0) {
        skipReason = 'needs root to mount a read-only file system';
        return;
      }
      try {
        execFileSync('mkdir', ['-p', mountPoint]);
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' });
        mounted = true;
      } catch (error) {
        skipReason = `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`;
      }
    });
    afterAll(() => {
      if (mounted) execFileSync('umount', ['-l', mountPoint]);
    });

    it('starts degraded, serves what it stored, refuses changes and never touches the file', async (context) => {
      if (skipReason) {
        context.skip(skipReason);
        return;
      }
      const first = await start(mountPoint, {}, dir.path);
      const plugin = await connectPlugin(broker, 'readonly');
      await plugin.client.request('hardware/announce', {
        plugin: 'r',
        name: 'RO',
        layout: 'extended',
        settings: {},
      });
      await plugin.client.request('unit/create', {
        deviceId: 'd',
        unit: 1,
        name: 'Kept',
        typeName: 'Voltage',
        sValue: '230',
      });
      await first.process.stop();
      const sizeBefore = execFileSync('sha256sum', [first.database]).toString();
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);

      const second = await start(mountPoint, {}, dir.path);
      await second.process.waitForLine(/registry is degraded: the database cannot be written/);
      const listed = await plugin.client.request('devices/list', {});
      expect(listed.devices[0]!.units[0]).toMatchObject({ name: 'RO - Kept', sValue: '230' });
      const attempt = await plugin.client
        .request('unit/update', { deviceId: 'd', unit: 1, changes: { sValue: '231' } })
        .then(
          (data) => ({ data }),
          (error: Error) => ({ error: error.message }),
        );
      expect(attempt).toEqual({ error: expect.stringMatching(/storage unavailable.*read-only/) });
      expect(await readRetained(broker.url, 'wattbus/devices/readonly/d/1')).toContain('"sValue":"230"');
      await plugin.bus.close();
      await second.process.stop();
      expect(execFileSync('sha256sum', [first.database]).toString()).toBe(sizeBefore);
    });
  });
});
