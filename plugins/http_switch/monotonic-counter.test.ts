import { describe, expect, it } from 'vitest';
import { MonotonicCounter } from './monotonic-counter.js';

describe('MonotonicCounter', () => {
  it('carries the total over a device counter reset', () => {
    const counter = new MonotonicCounter();
    expect(counter.update(100)).toEqual({ totalWh: 100, reset: false });
    expect(counter.update(150)).toEqual({ totalWh: 150, reset: false });
    expect(counter.update(5)).toEqual({ totalWh: 155, reset: true });
    expect(counter.update(20)).toEqual({ totalWh: 170, reset: false });
  });

  it('continues from a saved state and ignores a corrupt one', () => {
    const counter = new MonotonicCounter({ offsetWh: 1000, lastRawWh: 50 });
    expect(counter.update(10).totalWh).toBe(1060);
    expect(counter.saved).toEqual({ offsetWh: 1050, lastRawWh: 10 });
    expect(new MonotonicCounter({ offsetWh: -5, lastRawWh: Number.NaN }).update(7).totalWh).toBe(7);
  });
});

describe('MonotonicCounter floor', () => {
  it('never goes below the total already shown, even from a stale saved state', () => {
    // Saved when the plug read 100 Wh; the unit showed 150 Wh when the plugin crashed; the plug then rebooted.
    const counter = new MonotonicCounter({ offsetWh: 0, lastRawWh: 100 }, 150);
    expect(counter.update(10).totalWh).toBe(150);
    expect(counter.update(30).totalWh).toBe(170);
  });
});
