import { describe, expect, it } from 'vitest';
import { aggregate } from '../aggregates.js';
import type { ChannelSettings } from '../calculate/types.js';
import { BatchClock, EnergyCounters } from './energy-counters.js';

const channels: ChannelSettings[] = [
  { number: 1, type: 'mains', rating: 100, calibration: 1, two_pole: false, reversed: false },
  { number: 2, type: 'production', rating: 30, calibration: 1, two_pole: false, reversed: false },
];

function figures(mains: number, solar: number) {
  return aggregate(
    new Map([
      [1, { power: mains, current: 0, voltage: 240, pf: 1 }],
      [2, { power: solar, current: 0, voltage: 240, pf: 1 }],
    ]),
    channels,
    undefined,
  );
}

describe('energy counters', () => {
  it('integrates the positive part as import and the negative part as export, in Wh', () => {
    const counters = new EnergyCounters([1, 2]);
    counters.add(figures(1200, 0), 1800); // 600 Wh imported
    counters.add(figures(-3000, 3600), 3600); // 3000 Wh exported, 3600 Wh produced
    const payload = counters.payload('2024-06-01T12:00:00.000Z');
    expect(payload.cts['1']).toEqual({ import_wh: 600, export_wh: 3000 });
    expect(payload.cts['2']).toEqual({ import_wh: 3600, export_wh: 0 });
    expect(payload.net).toEqual({ import_wh: 600, export_wh: 3000 });
    expect(payload.production).toEqual({ import_wh: 3600, export_wh: 0 });
    // home = mains + production: 1200 W for half an hour, then 600 W for an hour.
    expect(payload.home).toEqual({ import_wh: 1200, export_wh: 0 });
  });

  it('ignores non-finite power and non-positive durations', () => {
    const counters = new EnergyCounters([1, 2]);
    counters.add(figures(Number.NaN, 100), 3600);
    counters.add(figures(100, 100), 0);
    counters.add(figures(100, 100), -5);
    expect(counters.payload('2024-06-01T12:00:00.000Z').cts['1']).toEqual({ import_wh: 0, export_wh: 0 });
    expect(counters.payload('2024-06-01T12:00:00.000Z').production.import_wh).toBe(100);
  });

  it('continues from stored counters and only ever raises to other counters', () => {
    const stored = {
      cts: { '1': { import_wh: 10, export_wh: 20 }, '3': { import_wh: 5, export_wh: 0 } },
      home: { import_wh: 100, export_wh: 0 },
      production: { import_wh: 50, export_wh: 0 },
      net: { import_wh: 10, export_wh: 20 },
    };
    const counters = new EnergyCounters([1, 2], stored);
    counters.raiseTo({
      cts: { '1': { import_wh: 5, export_wh: 25 } },
      home: { import_wh: 90, export_wh: 1 },
      production: { import_wh: 60, export_wh: 0 },
      net: { import_wh: 9, export_wh: 25 },
    });
    const totals = counters.totals();
    expect(totals.cts['1']).toEqual({ import_wh: 10, export_wh: 25 });
    // A channel no longer enabled is kept in the file but not published.
    expect(totals.cts['3']).toEqual({ import_wh: 5, export_wh: 0 });
    expect(counters.payload('2024-06-01T12:00:00.000Z').cts['3']).toBeUndefined();
    expect(totals.home).toEqual({ import_wh: 100, export_wh: 1 });
    expect(totals.production.import_wh).toBe(60);
  });
});

describe('batch clock', () => {
  it('tiles time from batch midpoint to batch midpoint', () => {
    const clock = new BatchClock();
    expect(clock.next(1_000_000, 0.2)).toBe(0.2);
    expect(clock.next(1_000_300, 0.2)).toBeCloseTo(0.3, 9);
    expect(clock.next(1_000_550, 0.3)).toBeCloseTo(0.3, 9);
  });

  it('counts a batch after a gap, or after reset, only for its own duration', () => {
    const clock = new BatchClock(5);
    clock.next(1_000_000, 0.2);
    expect(clock.next(1_060_000, 0.2)).toBe(0.2);
    clock.reset();
    expect(clock.next(1_060_300, 0.25)).toBe(0.25);
    // Batches going back in time (a clock step) also count only for themselves.
    expect(clock.next(1_000_000, 0.25)).toBe(0.25);
  });

  it('accepts long gaps for long batches', () => {
    const clock = new BatchClock(5);
    clock.next(0, 10);
    expect(clock.next(12_000, 10)).toBeCloseTo(12, 9);
  });
});
