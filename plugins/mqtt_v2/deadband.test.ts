import { describe, expect, it } from 'vitest';
import { Deadband } from './deadband.js';
import type { Figure } from './figures.js';

const thresholds = { power: 5, pf: 0.05, current: 1, voltage: 3 };
const power = (value: number): Figure => ({ path: 'net/power', kind: 'power', value });
const volts = (value: number): Figure => ({ path: 'voltage', kind: 'voltage', value });
const paths = (figures: Figure[]) => figures.map((figure) => `${figure.path}=${figure.value}`);

describe('Deadband', () => {
  it('publishes everything on the first pass', () => {
    const deadband = new Deadband(thresholds, 600);
    expect(paths(deadband.due([power(100), volts(240)], 0))).toEqual(['net/power=100', 'voltage=240']);
  });

  it('publishes a figure once it moved by at least its own threshold since it was last published', () => {
    const deadband = new Deadband(thresholds, 600);
    deadband.due([power(100), volts(240)], 0);
    expect(paths(deadband.due([power(104.9), volts(242.9)], 1000))).toEqual([]);
    expect(paths(deadband.due([power(105), volts(237)], 2000))).toEqual(['net/power=105', 'voltage=237']);
  });

  it('compares against the last published value, so slow drift is published once it adds up', () => {
    const deadband = new Deadband(thresholds, 600);
    deadband.due([power(100)], 0);
    expect(deadband.due([power(102)], 1000)).toEqual([]);
    expect(deadband.due([power(104)], 2000)).toEqual([]);
    expect(paths(deadband.due([power(106)], 3000))).toEqual(['net/power=106']);
  });

  it('republishes an unchanged figure after max_publish_seconds', () => {
    const deadband = new Deadband(thresholds, 60);
    deadband.due([power(100)], 0);
    expect(deadband.due([power(100)], 59_999)).toEqual([]);
    expect(paths(deadband.due([power(100)], 60_000))).toEqual(['net/power=100']);
    expect(deadband.due([power(100)], 61_000)).toEqual([]);
  });

  it('publishes every refresh with a zero threshold, and everything again after reset', () => {
    const deadband = new Deadband({ ...thresholds, power: 0 }, 600);
    deadband.due([power(1), volts(240)], 0);
    expect(paths(deadband.due([power(1), volts(240)], 1000))).toEqual(['net/power=1']);
    deadband.reset();
    expect(deadband.due([power(1), volts(240)], 2000)).toHaveLength(2);
  });
});
