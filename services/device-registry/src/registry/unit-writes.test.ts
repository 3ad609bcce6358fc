import { describe, expect, it } from 'vitest';
import type { Unit } from '../store/model.js';
import { visiblyChanged } from './unit-writes.js';

const unit: Unit = {
  id: 1,
  hardwareKey: 'power',
  deviceId: 'meter',
  unit: 1,
  name: 'Power - Total',
  typeName: 'kWh',
  type: 243,
  subtype: 29,
  switchtype: 0,
  nValue: 0,
  sValue: '1500;123456',
  options: { EnergyMeterMode: '0' },
  batteryLevel: 255,
  signalLevel: 12,
  image: 0,
  used: true,
  description: '',
  color: '',
  lastLevel: 0,
  adjustment: 0,
  multiplier: 1,
  lastUpdateMs: 1_000,
  lastHistoryMs: 0,
};

/** A different value of the same type. */
function other(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return `${value}x`;
  return { ...(value as object), Extra: 'yes' };
}

describe('visiblyChanged', () => {
  it('sees a change of every member the retained state shows, and only those', () => {
    // The identity of a unit never changes in an update; the timestamps alone are not an event (Touch).
    const notVisible = new Set(['id', 'hardwareKey', 'deviceId', 'unit', 'lastUpdateMs', 'lastHistoryMs']);
    for (const key of Object.keys(unit) as (keyof Unit)[]) {
      const changed = { ...unit, [key]: other(unit[key]) } as Unit;
      expect(visiblyChanged(unit, changed), key).toBe(!notVisible.has(key));
    }
    expect(visiblyChanged(unit, { ...unit, options: { ...unit.options } })).toBe(false);
    expect(visiblyChanged(unit, { ...unit })).toBe(false);
  });
});
