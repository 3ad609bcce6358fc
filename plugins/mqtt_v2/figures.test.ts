import { describe, expect, it } from 'vitest';
import { figuresOf } from './figures.js';

describe('figuresOf', () => {
  it('lays figures out in the reference topics, channels in ascending order', () => {
    const figures = figuresOf({
      cts: {
        '3': { power: 3, pf: 0.3, current: 0.03, voltage: 230 },
        '1': { power: 1, pf: 0.1, current: 0.01, voltage: 231 },
      },
      production: { power: 10, pf: 0.9, current: 1 },
      'home-consumption': { power: 20, current: 2 },
      net: { power: -5, current: -0.5 },
      voltage: 231,
    });
    expect(figures.map((figure) => `${figure.path}:${figure.kind}=${figure.value}`)).toEqual([
      'ct1/power:power=1',
      'ct1/pf:pf=0.1',
      'ct1/current:current=0.01',
      'ct1/voltage:voltage=231',
      'ct3/power:power=3',
      'ct3/pf:pf=0.3',
      'ct3/current:current=0.03',
      'ct3/voltage:voltage=230',
      'production/power:power=10',
      'production/pf:pf=0.9',
      'production/current:current=1',
      'home-consumption/power:power=20',
      'home-consumption/current:current=2',
      'net/power:power=-5',
      'net/current:current=-0.5',
      'voltage:voltage=231',
    ]);
  });
});
