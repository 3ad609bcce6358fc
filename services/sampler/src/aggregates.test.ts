import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregates.js';
import type { ChannelFigures, ChannelSettings, ChannelType } from './calculate/types.js';

function settings(number: number, type: ChannelType, two_pole = false): ChannelSettings {
  return { number, type, rating: 100, calibration: 1, two_pole, reversed: false };
}

function figures(power: number, current: number, pf = 0.9, voltage = 240): ChannelFigures {
  return { power, current, pf, voltage };
}

describe('aggregates (power-calculation.md section 3)', () => {
  it('with mains: home = mains + production, net = mains, and two-pole production counts its current twice for home', () => {
    const channels = [
      settings(1, 'mains'),
      settings(2, 'mains'),
      settings(3, 'production', true),
      settings(4, 'consumption'),
    ];
    const cts = new Map([
      [1, figures(-500, -2.5, 0.9, 241)],
      [2, figures(-300, -1.5, 0.9, 239)],
      [3, figures(1500, 6.25, 0.99)],
      [4, figures(400, 2)],
    ]);
    const result = aggregate(cts, channels, 50.01);
    expect(result.net).toEqual({ power: -800, current: -4 });
    expect(result.home).toEqual({ power: 700, current: -4 + 12.5 });
    expect(result.production).toEqual({ power: 1500, current: 6.25, pf: 0.99 });
    expect(result.voltage).toBe(241);
    expect(result.frequency).toBe(50.01);
  });

  it('without mains: home = consumption only (production not added) and net = home', () => {
    const channels = [settings(2, 'consumption'), settings(3, 'production'), settings(5, 'consumption')];
    const cts = new Map([
      [2, figures(100, 0.5, 0.9, 230)],
      [3, figures(900, 3.9, 0.98)],
      [5, figures(250, 1.1)],
    ]);
    const result = aggregate(cts, channels, undefined);
    expect(result.home).toEqual({ power: 350, current: 1.6 });
    expect(result.net).toEqual(result.home);
    expect(result.production.power).toBe(900);
    expect(result.voltage).toBe(230);
  });

  it('averages production PF over production channels, 0 when there are none', () => {
    const two = aggregate(
      new Map([
        [1, figures(10, 1, 0.5)],
        [2, figures(10, 1, 1)],
      ]),
      [settings(1, 'production'), settings(2, 'production')],
      undefined,
    );
    expect(two.production.pf).toBe(0.75);
    const none = aggregate(new Map([[1, figures(10, 1)]]), [settings(1, 'mains')], undefined);
    expect(none.production).toEqual({ power: 0, current: 0, pf: 0 });
  });

  it('sums in ascending channel order from 0, as the reference does', () => {
    // 0.1 + 0.2 + 0.3 differs from 0.3 + 0.2 + 0.1 in the last bit.
    const channels = [settings(1, 'consumption'), settings(2, 'consumption'), settings(3, 'consumption')];
    const cts = new Map([
      [1, figures(0.1, 0)],
      [2, figures(0.2, 0)],
      [3, figures(0.3, 0)],
    ]);
    expect(aggregate(cts, channels, undefined).home.power).toBe(0.1 + 0.2 + 0.3);
  });
});
