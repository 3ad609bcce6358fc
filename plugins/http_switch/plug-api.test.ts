import { describe, expect, it } from 'vitest';
import { type PlugApi, readStatus, resolveApi } from './plug-api.js';

const api = (preset: Parameters<typeof resolveApi>[0], channel = 0, custom = '') =>
  resolveApi(preset, channel, custom) as PlugApi;

describe('resolveApi', () => {
  it('fills the relay channel into the Shelly Gen2 default', () => {
    expect(api('shelly_gen2', 1)).toEqual({
      status: '/rpc/Switch.GetStatus?id=1',
      power: 'apower',
      energy: 'aenergy.total',
      energyUnit: 'Wh',
      relay: 'output',
      on: '/rpc/Switch.Set?id=1&on=true',
      off: '/rpc/Switch.Set?id=1&on=false',
    });
    expect(api('shelly_gen1', 0).power).toBe('meters.0.power');
  });

  it('overrides the default with a custom JSON shape and explains a bad one', () => {
    const custom = api(
      'custom',
      0,
      '{"status": "/api/state", "power": "watts", "energy": "", "relay": "relay.on", "on": "/api/on", "off": "/api/off"}',
    );
    expect(custom).toMatchObject({
      status: '/api/state',
      power: 'watts',
      energy: '',
      relay: 'relay.on',
      on: '/api/on',
    });
    expect(resolveApi('custom', 0, '{not json')).toMatch(/^mode3 \(custom API\) is not valid JSON/);
    expect(resolveApi('custom', 0, '{"status": "api/state", "colour": 1}')).toMatch(
      /^mode3 \(custom API\): status must be a path starting with "\/"; value Unrecognized key: "colour"/,
    );
  });
});

describe('readStatus', () => {
  it('reads a Shelly Gen2 Switch.GetStatus answer', () => {
    const body = JSON.stringify({
      id: 0,
      output: true,
      apower: 12.5,
      voltage: 231.2,
      aenergy: { total: 1234.5 },
    });
    expect(readStatus(api('shelly_gen2'), body)).toEqual({ power: 12.5, energyWh: 1234.5, on: true });
  });

  it('converts Shelly Gen1 watt-minutes and Tasmota kWh to Wh', () => {
    const gen1 = JSON.stringify({ relays: [{ ison: false }], meters: [{ power: 0, total: 600 }] });
    expect(readStatus(api('shelly_gen1'), gen1)).toEqual({ power: 0, energyWh: 10, on: false });
    const tasmota = JSON.stringify({
      Status: { Power: '1' },
      StatusSNS: { ENERGY: { Power: 45, Total: 1.5 } },
    });
    expect(readStatus(api('tasmota'), tasmota)).toEqual({ power: 45, energyWh: 1500, on: true });
  });

  it('names what is missing from an answer', () => {
    expect(readStatus(api('shelly_gen2'), '<html>')).toMatch(/not JSON/);
    expect(readStatus(api('shelly_gen2'), '{"output": true}')).toBe(
      'the plug\'s answer has no number at "apower" (power)',
    );
    expect(readStatus(api('shelly_gen2'), '{"apower": 1, "output": "maybe"}')).toMatch(
      /no on\/off state at "output"/,
    );
  });
});
