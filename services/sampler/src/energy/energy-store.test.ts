import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@wattbus/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { EnergyStore } from './energy-store.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const totals = {
  cts: { '1': { import_wh: 1.5, export_wh: 2.25 } },
  home: { import_wh: 10, export_wh: 0 },
  production: { import_wh: 3, export_wh: 0 },
  net: { import_wh: 1.5, export_wh: 2.25 },
};

const dirs: { remove(): void }[] = [];
function dir(): string {
  const created = tempDir('wattbus-energy-');
  dirs.push(created);
  return created.path;
}
afterEach(() => {
  for (const created of dirs.splice(0)) created.remove();
});

describe('energy store', () => {
  it('saves into a new directory and loads the counters back', () => {
    const path = join(dir(), 'nested', 'energy.json');
    const store = new EnergyStore(path, logger);
    expect(store.load()).toBeUndefined();
    expect(store.save(totals)).toBe(true);
    expect(new EnergyStore(path, logger).load()).toEqual(totals);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.version).toBe(1);
    expect(Date.parse(file.saved)).toBeGreaterThan(0);
    // No temporary file is left behind.
    expect(readdirSync(join(path, '..'))).toEqual(['energy.json']);
  });

  it('keeps the existing file intact when a save fails', () => {
    const path = join(dir(), 'energy.json');
    const store = new EnergyStore(path, logger);
    store.save(totals);
    const before = readFileSync(path, 'utf8');
    // The temporary file cannot be created (a directory is in its way): as on a full or read-only disk.
    mkdirSync(`${path}.tmp-${process.pid}`);
    expect(store.save({ ...totals, home: { import_wh: 99, export_wh: 0 } })).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('tells its owner once when saving starts failing, and once when it works again', () => {
    const path = join(dir(), 'energy.json');
    const changes: unknown[] = [];
    const store = new EnergyStore(path, logger, (failure) => changes.push(failure));
    expect(store.save(totals)).toBe(true);
    mkdirSync(`${path}.tmp-${process.pid}`);
    expect(store.save(totals)).toBe(false);
    expect(store.save(totals)).toBe(false);
    expect(changes).toEqual([{ message: expect.stringContaining('EISDIR'), code: 'EISDIR' }]);
    rmdirSync(`${path}.tmp-${process.pid}`);
    expect(store.save(totals)).toBe(true);
    expect(store.save(totals)).toBe(true);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toBeUndefined();
  });

  it('reports a directory it cannot create and carries on', () => {
    const base = dir();
    writeFileSync(join(base, 'not-a-dir'), 'x');
    const store = new EnergyStore(join(base, 'not-a-dir', 'energy.json'), logger);
    expect(store.save(totals)).toBe(false);
    expect(store.load()).toBeUndefined();
  });

  it('moves an invalid file aside instead of overwriting it', () => {
    const base = dir();
    const path = join(base, 'energy.json');
    writeFileSync(path, '{"version":1,"cts":{}, "home": {"import_wh": -1');
    const store = new EnergyStore(path, logger);
    expect(store.load()).toBeUndefined();
    const names = readdirSync(base);
    expect(names.some((name) => name.startsWith('energy.json.corrupt-'))).toBe(true);
    writeFileSync(
      path,
      JSON.stringify({ version: 1, saved: 'x', ...totals, home: { import_wh: -5, export_wh: 0 } }),
    );
    expect(store.load()).toBeUndefined();
  });
});
