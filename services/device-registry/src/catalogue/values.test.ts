import { describe, expect, it } from 'vitest';
import { parseHistoryDate } from './numbers.js';
import type { UnitKind } from './unit-kind.js';
import { applyValues, checkValues, type StoredValues, type ValueContext } from './values.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const MINUTE = 60_000;

function write(
  kind: UnitKind,
  sValue: string,
  previous?: Partial<StoredValues>,
  options: Record<string, string> = {},
  nValue = 0,
) {
  const context: ValueContext = {
    kind,
    options,
    previous: previous ? { nValue: 0, sValue: '', lastUpdateMs: NOW - MINUTE, ...previous } : undefined,
    now: NOW,
    maxGapMs: 5 * MINUTE,
  };
  return applyValues(context, { nValue, sValue });
}

describe('sValue formats', () => {
  it('accepts a kWh "power;energy" and names the bad field otherwise', () => {
    expect(write('kwh', '123;123456')).toMatchObject({ ok: true, sValue: '123;123456' });
    const bad = write('kwh', '123;lots');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/field 2 \(energy\) must be a number/);
    expect(write('kwh', '123')).toMatchObject({ ok: false, error: expect.stringMatching(/"power;energy"/) });
    expect(write('kwh', '1;2;3').ok).toBe(false);
  });

  it('accepts an empty sValue on every kind: a new unit has no value yet', () => {
    for (const kind of ['kwh', 'p1', 'temperature', 'barometer', 'managed_counter'] as UnitKind[]) {
      expect(write(kind, '').ok).toBe(true);
    }
  });

  it('validates general numeric sensors, barometer forecasts and multi-value climate types', () => {
    expect(write('voltage', '230.5').ok).toBe(true);
    expect(write('voltage', '230,5').ok).toBe(false);
    expect(write('voltage', 'NaN').ok).toBe(false);
    expect(write('barometer', '1021.3;2').ok).toBe(true);
    expect(write('barometer', '1021.3;7')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/forecast/),
    });
    expect(write('barometer', '1021.3;1.5').ok).toBe(false);
    expect(write('temp_hum', '21.5;45;1').ok).toBe(true);
    expect(write('temp_hum', '21.5;45').ok).toBe(true);
    expect(write('temp_hum_baro', '21.5;45;1;1013;3').ok).toBe(true);
    expect(write('wind', '90;E;25;40;12.5;10').ok).toBe(true);
    expect(write('wind', '90;E;fast;40').ok).toBe(false);
    expect(write('p1', '1000;2000;300;400;850;0').ok).toBe(true);
    expect(write('p1', '1000;2000;300;400;850').ok).toBe(false);
  });

  it('checks nValue where the type gives it a meaning', () => {
    expect(write('humidity', '1', undefined, {}, 55).ok).toBe(true);
    expect(write('humidity', '1', undefined, {}, 120)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/0-100/),
    });
    expect(write('alert', 'Danger', undefined, {}, 5).ok).toBe(false);
  });

  it('takes free text for text units and switches', () => {
    expect(write('text', 'anything; at all').ok).toBe(true);
    expect(write('switch', 'On').ok).toBe(true);
    expect(write('unknown', 'x;y;z').ok).toBe(true);
  });
});

describe('Counter Incremental', () => {
  it('adds each increment to the stored counter', () => {
    expect(write('counter_incremental', '5', { sValue: '100' })).toMatchObject({ ok: true, sValue: '105' });
    expect(write('counter_incremental', '0.1', { sValue: '0.2' })).toMatchObject({ ok: true, sValue: '0.3' });
  });

  it('resets the counter on a negative value', () => {
    expect(write('counter_incremental', '-1', { sValue: '100' })).toMatchObject({ ok: true, sValue: '0' });
  });

  it('takes the initial counter on create and refuses a non-number increment', () => {
    expect(write('counter_incremental', '42')).toMatchObject({ ok: true, sValue: '42' });
    expect(write('counter_incremental', 'ten', { sValue: '1' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/increment/),
    });
    expect(write('counter_incremental', '', { sValue: '1' }).ok).toBe(false);
  });
});

describe('EnergyMeterMode Calculated', () => {
  const calculated = { EnergyMeterMode: '1' };

  it('integrates power between updates and ignores the device energy', () => {
    // 1000 W for one minute then 2000 W: the trapezoid gives 1500 W * 1/60 h = 25 Wh.
    const result = write('kwh', '2000;999999', { sValue: '1000;100' }, calculated);
    expect(result).toMatchObject({ ok: true, sValue: '2000;125' });
  });

  it('starts at zero energy and accepts power alone', () => {
    expect(write('kwh', '500;123', undefined, calculated)).toMatchObject({ ok: true, sValue: '500;0' });
    expect(write('kwh', '500', { sValue: '500;10' }, { EnergyMeterMode: 'Calculated' })).toMatchObject({
      ok: true,
      sValue: expect.stringMatching(/^500;18\.33/),
    });
  });

  it('does not integrate over a gap longer than the limit', () => {
    const result = write('kwh', '1000', { sValue: '1000;10', lastUpdateMs: NOW - 60 * MINUTE }, calculated);
    expect(result).toMatchObject({ ok: true, sValue: '1000;10' });
  });

  it('leaves From Device mode alone', () => {
    expect(write('kwh', '2000;500', { sValue: '1000;100' }, { EnergyMeterMode: '0' })).toMatchObject({
      sValue: '2000;500',
    });
  });
});

describe('Managed counter and AddDBLogEntry history', () => {
  it('stores "COUNTER;USAGE" as the unit state', () => {
    expect(write('managed_counter', '123456;78', { sValue: '1;1' })).toMatchObject({
      ok: true,
      sValue: '123456;78',
    });
  });

  it('turns a dated value into a history row and keeps the unit values', () => {
    const day = write('managed_counter', '123456;78;2019-09-24', { sValue: '1;1' });
    expect(day).toMatchObject({ ok: true, historyOnly: true, history: { sValue: '123456;78' } });
    const timestamp = day.ok ? day.history?.timestamp : undefined;
    expect(timestamp).toBe(new Date(2019, 8, 24).toISOString());
    const short = write('managed_counter', '123456;78;2019-10-03 14:55:00', { sValue: '1;1' });
    expect(short.ok && short.history?.timestamp).toBe(new Date(2019, 9, 3, 14, 55).toISOString());
  });

  it('injects history into other meters only with AddDBLogEntry', () => {
    const withOption = write('kwh', '5000;250;2024-01-02', { sValue: '1;1' }, { AddDBLogEntry: 'true' });
    expect(withOption).toMatchObject({ ok: true, historyOnly: true, history: { sValue: '5000;250' } });
    const without = write('kwh', '5000;250;2024-01-02', { sValue: '1;1' });
    expect(without.ok).toBe(false);
    const p1 = write('p1', '1;2;3;4;5;6;2024-01-02 10:00:00', { sValue: '' }, { AddDBLogEntry: 'true' });
    expect(p1).toMatchObject({ ok: true, historyOnly: true });
    const badP1 = write('p1', '1;2;3;2024-01-02', { sValue: '' }, { AddDBLogEntry: 'true' });
    expect(badP1).toMatchObject({ ok: false, error: expect.stringMatching(/USAGE1/) });
  });

  it('refuses impossible dates', () => {
    expect(parseHistoryDate('2024-02-31')).toBeUndefined();
    expect(parseHistoryDate('2024-02-29')).toBeDefined();
    expect(parseHistoryDate('2024-01-01 25:00:00')).toBeUndefined();
  });
});

describe('checkValues (type changes)', () => {
  it('checks stored values against a new type without applying write rules', () => {
    expect(checkValues('kwh', {}, 0, '100;2000')).toBeUndefined();
    expect(checkValues('kwh', {}, 0, 'On')).toMatch(/power;energy/);
    expect(checkValues('counter_incremental', {}, 0, '12')).toBeUndefined();
    expect(checkValues('kwh', { EnergyMeterMode: '1' }, 0, '100')).toBeUndefined();
  });
});
