import { describe, expect, it } from 'vitest';
import { planUnits } from './unit-plan.js';
import { sValueOf } from './unit-values.js';

const names = {
  cts: [
    { number: 1, name: 'Mains' },
    { number: 3, name: 'Kitchen' },
  ],
  home: 'Home consumption',
  production: 'Production',
  net: 'Net',
  grid: 'Grid',
};

const reading = {
  cts: {
    '1': { power: -2126.54, pf: 0.886, current: -10.004, voltage: 239.94 },
    '3': { power: 120.26, pf: 0.5, current: 0.5, voltage: 240.04 },
  },
  production: { power: 3000, pf: 0.999, current: 12.5 },
  'home-consumption': { power: 873.46, current: 2.5 },
  net: { power: -2126.54, current: -10 },
  voltage: 239.94,
  frequency: 50.016,
};

const energy = {
  cts: { '1': { import_wh: 5000.06, export_wh: 1200 }, '3': { import_wh: 77.77, export_wh: 0 } },
  home: { import_wh: 9000, export_wh: 0 },
  production: { import_wh: 4000.5, export_wh: 1 },
  net: { import_wh: 5000, export_wh: 1200.09 },
};

describe('planUnits', () => {
  it('gives each channel its units, named after config.toml', () => {
    const units = planUnits(names, { frequency: true });
    expect(units.map((unit) => `${unit.deviceId}/${unit.unit} ${unit.typeName} "${unit.name}"`)).toEqual([
      'ct1/1 kWh "Mains"',
      'ct1/2 Voltage "Mains voltage"',
      'ct1/3 Current (Single) "Mains current"',
      'ct1/4 Percentage "Mains power factor"',
      'ct3/1 kWh "Kitchen"',
      'ct3/2 Voltage "Kitchen voltage"',
      'ct3/3 Current (Single) "Kitchen current"',
      'ct3/4 Percentage "Kitchen power factor"',
      'home/1 kWh "Home consumption"',
      'home/3 Current (Single) "Home consumption current"',
      'production/1 kWh "Production"',
      'production/3 Current (Single) "Production current"',
      'production/4 Percentage "Production power factor"',
      'net/1 kWh "Net grid import"',
      'net/5 kWh "Net grid export"',
      'net/3 Current (Single) "Net current"',
      'grid/2 Voltage "Grid voltage"',
      'grid/6 Custom "Grid frequency"',
    ]);
  });
});

describe('sValueOf', () => {
  it("writes Domoticz's formats from the reading and the energy counters", () => {
    const values = Object.fromEntries(
      planUnits(names, { frequency: true }).map((unit) => [
        `${unit.deviceId}/${unit.unit}`,
        sValueOf(unit, reading, energy),
      ]),
    );
    expect(values).toEqual({
      'ct1/1': '-2126.5;5000.0',
      'ct1/2': '239.9',
      'ct1/3': '-10.00',
      'ct1/4': '88.6',
      'ct3/1': '120.3;77.7',
      'ct3/2': '240.0',
      'ct3/3': '0.50',
      'ct3/4': '50.0',
      'home/1': '873.5;9000.0',
      'home/3': '2.50',
      'production/1': '3000.0;4000.5',
      'production/3': '12.50',
      'production/4': '99.9',
      'net/1': '0.0;5000.0',
      'net/5': '2126.5;1200.0',
      'net/3': '-10.00',
      'grid/2': '239.9',
      'grid/6': '50.02',
    });
  });

  it('leaves kWh units alone until energy counters exist, and never prints -0.0', () => {
    const [kwh] = planUnits(names, { frequency: false });
    expect(sValueOf(kwh!, reading, undefined)).toBeUndefined();
    const net = planUnits(names, { frequency: false }).find(
      (unit) => unit.deviceId === 'net' && unit.unit === 5,
    )!;
    expect(sValueOf(net, { ...reading, net: { power: 0.01, current: 0 } }, energy)).toBe('0.0;1200.0');
    const current = planUnits(names, { frequency: false }).find(
      (unit) => unit.deviceId === 'net' && unit.unit === 3,
    )!;
    expect(sValueOf(current, { ...reading, net: { power: 0, current: -0.001 } }, energy)).toBe('0.00');
  });
});
