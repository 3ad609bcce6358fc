import { describe, expect, it } from 'vitest';
import { formatLine } from './line-protocol.js';
import { netStatus, pointsOf } from './points.js';

const reading = {
  cts: {
    '2': { power: 1200.9, pf: 0.999, current: 5, voltage: 239.9 },
    '1': { power: -2126.5, pf: 0.886, current: -10, voltage: 240.1 },
  },
  production: { power: 1200.9, pf: 0.999, current: 5 },
  'home-consumption': { power: 3327.4, current: 15 },
  net: { power: -2126.5, current: -10 },
  voltage: 240.1,
};

describe('pointsOf', () => {
  it("builds the reference's measurements, every point tagged with the site id", () => {
    const lines = pointsOf(reading, 'home', 1700000000000).map(formatLine);
    expect(lines).toEqual([
      'home_load,id=home power=3327.4,current=15 1700000000000',
      'solar,id=home power=1200.9,current=5,pf=0.999 1700000000000',
      'net,id=home,status=Producing power=-2126.5,current=-10 1700000000000',
      'voltages,id=home,v_input=0 voltage=240.1 1700000000000',
      'raw_cts,ct=1,id=home power=-2126.5,current=-10,pf=0.886 1700000000000',
      'raw_cts,ct=2,id=home power=1200.9,current=5,pf=0.999 1700000000000',
    ]);
  });

  it('tags net by the sign of its power', () => {
    expect(netStatus(-0.1)).toBe('Producing');
    expect(netStatus(0.1)).toBe('Consuming');
    expect(netStatus(0)).toBe('No data');
  });
});
