import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregates.js';
import type { ChannelSettings } from './calculate/types.js';
import { Smoother } from './smoothing.js';

const channels: ChannelSettings[] = [
  { number: 1, type: 'mains', rating: 100, calibration: 1, two_pole: false, reversed: false },
  { number: 2, type: 'production', rating: 30, calibration: 1, two_pole: false, reversed: false },
];

function batch(mainsPower: number, mainsCurrent: number, solar: number, frequency?: number) {
  return aggregate(
    new Map([
      [1, { power: mainsPower, current: mainsCurrent, voltage: 240, pf: 0.9 }],
      [2, { power: solar, current: solar / 240, voltage: 241, pf: 1 }],
    ]),
    channels,
    frequency,
  );
}

describe('smoothing (power-calculation.md section 4)', () => {
  it('lets the first two batches only fill the window, then averages the last two', () => {
    const smoother = new Smoother(channels);
    expect(smoother.push(batch(100, 1, 0))).toBeUndefined();
    expect(smoother.push(batch(200, 2, 0))).toBeUndefined();
    const third = smoother.push(batch(400, 4, 240, 50.1))!;
    expect(third.cts.get(1)).toEqual({ power: 300, current: 3, voltage: 240, pf: 0.9 });
    expect(third.production).toEqual({ power: 120, current: 0.5, pf: 1 });
    expect(third.home).toEqual({ power: 420, current: 3.5 });
    expect(third.net).toEqual({ power: 300, current: 3 });
    expect(third.voltage).toBe(240);
    expect(third.frequency).toBe(50.1);
    const fourth = smoother.push(batch(0, 0, 0, 49.9))!;
    expect(fourth.cts.get(1)!.power).toBe(200);
    expect(fourth.frequency).toBeCloseTo(50, 12);
  });

  it('negates a mains average current that is positive while the average power is negative', () => {
    const smoother = new Smoother(channels);
    smoother.push(batch(0, 0, 0));
    smoother.push(batch(0, 0, 0));
    // One batch exporting (current negative), the next just importing: the averages disagree in sign.
    smoother.push(batch(-1000, -4, 0));
    const result = smoother.push(batch(200, 5, 0))!;
    expect(result.cts.get(1)!.power).toBe(-400);
    expect(result.cts.get(1)!.current).toBe(-0.5);
    // The net figures are averaged as they are.
    expect(result.net.current).toBe(0.5);
  });

  it('does not touch production channels that way, and starts over after reset', () => {
    const smoother = new Smoother(channels);
    smoother.push(batch(0, 0, 0));
    smoother.push(batch(0, 0, 0));
    expect(smoother.push(batch(0, 0, 0))).toBeDefined();
    smoother.reset();
    expect(smoother.push(batch(0, 0, 0))).toBeUndefined();
    expect(smoother.push(batch(0, 0, 0))).toBeUndefined();
    expect(smoother.push(batch(0, 0, 0))).toBeDefined();
  });
});
