import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { openTestRegistry, type TestRegistry } from '../../test/support.js';
import { openDatabase } from './database.js';
import { RequestFailure, StorageFailure } from './group-commit.js';
import { SCHEMA_VERSION } from './migrations.js';

let dir: { path: string; remove(): void };
let registry: TestRegistry | undefined;

beforeEach(() => {
  dir = tempDir('wattbus-registry-store-');
});
afterEach(() => {
  registry?.close();
  registry = undefined;
  dir.remove();
});

async function withUnits(target: TestRegistry, count: number): Promise<void> {
  await target.plugin('hw', 'hardware/announce', { plugin: 'p', name: 'HW', layout: 'extended' });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      target.plugin('hw', 'unit/create', { deviceId: `d${i}`, unit: 1, name: `u${i}`, typeName: 'kWh' }),
    ),
  );
}

describe('schema', () => {
  it('creates the schema in WAL mode at the current version, and migrates nothing on reopen', () => {
    const path = join(dir.path, 'sub', 'registry.db');
    const first = openDatabase({ path, synchronous: 'full', maxDatabaseMb: 0 });
    expect(first.migrated).toEqual([SCHEMA_VERSION]);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(first.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(first.db.pragma('synchronous', { simple: true })).toBe(2);
    first.db.close();
    const second = openDatabase({ path, synchronous: 'normal', maxDatabaseMb: 0 });
    expect(second.migrated).toEqual([]);
    second.db.close();
  });

  it('refuses a database written by a newer wattbus', () => {
    const path = join(dir.path, 'registry.db');
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase({ path, synchronous: 'full', maxDatabaseMb: 0 })).toThrow(/newer wattbus/);
  });
});

describe('group commit', () => {
  it('commits a burst of updates in one transaction and acknowledges each after it', async () => {
    registry = openTestRegistry(dir.path);
    await withUnits(registry, 50);
    const transactions = vi.spyOn(registry.store, 'transaction');
    const updates = Array.from({ length: 2000 }, (_, i) =>
      registry!.plugin('hw', 'unit/update', {
        deviceId: `d${i % 50}`,
        unit: 1,
        changes: { sValue: `${i};${i}` },
      }),
    );
    await Promise.all(updates);
    expect(transactions).toHaveBeenCalledTimes(1);
    registry.close();
    registry = openTestRegistry(dir.path);
    // The last update of each unit is what is stored.
    expect(registry.store.findUnit('hw', 'd0', 1)?.sValue).toBe('1950;1950');
    expect(registry.store.findUnit('hw', 'd49', 1)?.sValue).toBe('1999;1999');
  });

  it('answers callback submissions in order, after the batch committed and its outputs were flushed', async () => {
    const events: string[] = [];
    registry = openTestRegistry(dir.path, { hooks: { onBatchDone: () => events.push('batch done') } });
    await withUnits(registry, 2);
    events.length = 0;
    const { core, store } = registry;
    const transaction = store.transaction.bind(store);
    store.transaction = (work) => {
      const result = transaction(work);
      events.push('committed');
      return result;
    };
    const update = (deviceId: string, sValue: string) =>
      core.runThen(
        'plugin',
        true,
        (scope) => {
          const unit = store.findUnit('hw', deviceId, 1)!;
          scope.afterCommit(() => events.push(`action ${sValue}`));
          return scope.context.store.replaceUnit(unit, { ...unit, sValue }).sValue;
        },
        (ok, value) => events.push(`${ok ? 'ok' : 'refused'} ${String(value)}`),
      );
    update('d0', '1;1');
    core.runThen(
      'plugin',
      true,
      () => {
        throw new RequestFailure('no');
      },
      (ok, error) => events.push(`${ok ? 'ok' : 'refused'} ${(error as Error).message}`),
    );
    update('d1', '2;2');
    // Nothing is answered before the commit, which waits for the end of the turn.
    expect(events).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([
      'committed',
      'action 1;1',
      'action 2;2',
      'batch done',
      'ok 1;1',
      'refused no',
      'ok 2;2',
    ]);
  });

  it('fails a refused request alone, leaving the rest of its batch committed', async () => {
    registry = openTestRegistry(dir.path);
    await withUnits(registry, 2);
    const results = await Promise.allSettled([
      registry.plugin('hw', 'unit/update', { deviceId: 'd0', unit: 1, changes: { sValue: '1;1' } }),
      registry.plugin('hw', 'unit/update', { deviceId: 'd0', unit: 1, changes: { sValue: 'bad' } }),
      registry.plugin('hw', 'unit/update', { deviceId: 'd1', unit: 1, changes: { sValue: '2;2' } }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(registry.store.findUnit('hw', 'd1', 1)?.sValue).toBe('2;2');
  });

  it('runs the operations of a batch one by one when one fails unexpectedly, so only it fails', async () => {
    registry = openTestRegistry(dir.path);
    await withUnits(registry, 1);
    const { core, store } = registry;
    const good = core.run('plugin', true, (scope) => {
      const unit = store.findUnit('hw', 'd0', 1)!;
      return scope.context.store.replaceUnit(unit, { ...unit, sValue: '7;7' }).sValue;
    });
    const buggy = core.run('plugin', true, (scope) => {
      const unit = store.findUnit('hw', 'd0', 1)!;
      scope.context.store.replaceUnit(unit, { ...unit, name: 'half-done' });
      // A refusal after a change is a bug: it must not leave the change behind.
      throw new RequestFailure('refused too late');
    });
    await expect(good).resolves.toBe('7;7');
    await expect(buggy).rejects.toThrow('refused too late');
    expect(store.findUnit('hw', 'd0', 1)).toMatchObject({ sValue: '7;7', name: 'HW - u0' });
  });
});

describe('full storage', () => {
  it('refuses changes with the reason, keeps memory equal to the database, and recovers when space frees', async () => {
    const hooks = { onStorageError: vi.fn(), onStorageRecovered: vi.fn() };
    registry = openTestRegistry(dir.path, { maxDatabaseMb: 1, hooks });
    await registry.plugin('hw', 'hardware/announce', { plugin: 'p', name: 'HW', layout: 'extended' });
    const big = 'x'.repeat(4000);
    let failure: unknown;
    for (let unit = 1; unit <= 255 && !failure; unit++) {
      try {
        await registry.plugin('hw', 'unit/create', {
          deviceId: 'fill',
          unit,
          name: 'f',
          typeName: 'Text',
          sValue: big,
          description: big,
        });
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(StorageFailure);
    expect((failure as Error).message).toMatch(
      /storage unavailable, nothing was changed: the database or the disk is full/,
    );
    expect(hooks.onStorageError).toHaveBeenCalledTimes(1);
    const before = registry.snapshot();
    await expect(
      registry.plugin('hw', 'unit/update', {
        deviceId: 'fill',
        unit: 1,
        changes: { description: `${big}y` },
      }),
    ).rejects.toBeInstanceOf(StorageFailure);
    expect(registry.snapshot()).toEqual(before);
    // Reads are still answered while writes are refused.
    await expect(registry.plugin('hw', 'unit/refresh', { deviceId: 'fill', unit: 1 })).resolves.toMatchObject(
      {
        unit: { sValue: big },
      },
    );
    // Deleting frees pages: the next change commits and the registry leaves degraded mode.
    await registry.plugin('hw', 'unit/delete', { deviceId: 'fill', unit: 2 });
    await registry.plugin('hw', 'unit/update', {
      deviceId: 'fill',
      unit: 1,
      changes: { sValue: 'fits again' },
    });
    expect(hooks.onStorageRecovered).toHaveBeenCalledTimes(1);
    expect(registry.commit.isDegraded).toBe(false);
  });
});
