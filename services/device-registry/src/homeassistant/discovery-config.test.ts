import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiscoveryConfig } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { findTypeName, TYPE_NAMES } from '../catalogue/type-names.js';
import { type DiscoveryUnit, discoveryConfigs } from './discovery-config.js';
import { idPart, nodeId, objectId } from './ids.js';

/**
 * Golden files: the exact discovery payloads of every mapped type live in `golden/<type>.golden.json`. A change to
 * any of them is a change to what Home Assistant users see, so it must be a deliberate one: run
 * `UPDATE_GOLDENS=1 npx vitest run services/device-registry/src/homeassistant` and review the diff.
 */
const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const settings = {
  roots: { base: 'wattbus', discovery: 'homeassistant' },
  version: '1.0.0',
  unusedUnits: 'enabled' as const,
};

function sample(name: string, extra: Partial<DiscoveryUnit> = {}): DiscoveryUnit {
  const entry = findTypeName(name);
  return {
    hardware: 'power_devices',
    deviceId: 'Main/Board 1',
    unit: 3,
    name: `Power - ${name}`,
    typeName: entry?.name,
    type: entry?.type ?? 0,
    subtype: entry?.subtype ?? 0,
    switchtype: entry?.switchtype ?? 0,
    options: entry?.options ?? {},
    used: true,
    ...extra,
  };
}

/** One sample per TypeName, plus the Switchtype and Options variants that change the mapping. */
const SAMPLE_LIST: Record<string, DiscoveryUnit> = {
  ...Object.fromEntries(TYPE_NAMES.map((entry) => [entry.name, sample(entry.name)])),
  'Counter Incremental gas': sample('Counter Incremental', { switchtype: 1 }),
  'Counter Incremental water': sample('Counter Incremental', { switchtype: 2 }),
  'Counter custom units': sample('Counter', {
    switchtype: 3,
    options: { ValueQuantity: 'Custom', ValueUnits: 'pulses' },
  }),
  'Managed Counter generated': sample('Managed Counter', { switchtype: 4 }),
  'Custom with axis': sample('Custom', { options: { Custom: '1;ppm' } }),
  'Selector Switch off hidden': sample('Selector Switch', {
    options: {
      LevelNames: 'Off|Eco|Comfort|"Boost"',
      LevelOffHidden: 'true',
      LevelActions: '|||',
      SelectorStyle: '1',
    },
  }),
  'Setpoint with range': sample('Setpoint', {
    options: { ValueMin: '10', ValueMax: '25', ValueStep: '0.1' },
  }),
  'Raw blinds': sample('', { type: 244, subtype: 73, switchtype: 3, typeName: undefined }),
  'Raw unknown': sample('', { type: 99, subtype: 9, switchtype: 0, typeName: undefined }),
};
/** Each sample its own unit number, so their ids can be checked for uniqueness together. */
const SAMPLES: Record<string, DiscoveryUnit> = Object.fromEntries(
  Object.entries(SAMPLE_LIST).map(([name, unit], index) => [name, { ...unit, unit: index + 1 }]),
);

function goldenName(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

describe('Home Assistant discovery goldens', () => {
  for (const [name, unit] of Object.entries(SAMPLES)) {
    it(`matches the golden file for ${name}`, () => {
      const messages = discoveryConfigs(unit, { name: 'Power Monitor' }, settings);
      const file = join(GOLDEN_DIR, `${goldenName(name)}.golden.json`);
      const text = `${JSON.stringify(messages, null, 2)}\n`;
      if (process.env.UPDATE_GOLDENS) {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, text);
      }
      expect(existsSync(file), `missing golden ${file}; run with UPDATE_GOLDENS=1`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('discovery rules of mqtt-contract.md', () => {
  const all = Object.values(SAMPLES).flatMap((unit) =>
    discoveryConfigs(unit, { name: 'Power Monitor' }, settings),
  );

  it('validates every payload and uses full key names only', () => {
    const abbreviations = [
      'stat_t',
      'cmd_t',
      'dev',
      'o',
      'avty',
      'avty_t',
      'uniq_id',
      'dev_cla',
      'unit_of_meas',
      'stat_cla',
      'val_tpl',
      'ids',
    ];
    for (const { config } of all) {
      expect(DiscoveryConfig.safeParse(config).success).toBe(true);
      const keys = [...Object.keys(config), ...Object.keys(config.device), ...Object.keys(config.origin)];
      for (const key of keys) expect(abbreviations).not.toContain(key);
    }
  });

  it('makes every unit_id and topic unique and ties availability to the registry and the plugin', () => {
    const ids = all.map((message) => message.config.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { config } of all) {
      expect(config.availability.map((entry) => entry.topic)).toEqual([
        'wattbus/registry/state',
        'wattbus/plugins/power_devices/state',
      ]);
      expect(config.availability_mode).toBe('all');
      expect(config.origin.name).toBe('wattbus');
      expect(config.device.identifiers).toEqual([
        expect.stringMatching(/^wattbus_power_devices_-4d61696e2f426f6172642031_\d+$/),
      ]);
    }
  });

  it('makes energy entities Energy-dashboard ready and power entities measurements', () => {
    const kwh = discoveryConfigs(sample('kWh'), { name: 'Power Monitor' }, settings);
    expect(kwh.map((message) => message.topic)).toEqual([
      'homeassistant/sensor/wattbus_power_devices/-4d61696e2f426f6172642031_3_power/config',
      'homeassistant/sensor/wattbus_power_devices/-4d61696e2f426f6172642031_3_energy/config',
    ]);
    expect(kwh[0]!.config).toMatchObject({
      device_class: 'power',
      unit_of_measurement: 'W',
      state_class: 'measurement',
    });
    expect(kwh[1]!.config).toMatchObject({
      device_class: 'energy',
      unit_of_measurement: 'kWh',
      state_class: 'total_increasing',
    });
    for (const { config } of all) {
      if (config.device_class === 'energy') {
        expect(config.unit_of_measurement).toBe('kWh');
        expect(config.state_class).toBe('total_increasing');
      }
      if (config.device_class === 'power') expect(config.state_class).toBe('measurement');
    }
  });

  it('maps the component types the issue asks for', () => {
    const components = (name: string) =>
      discoveryConfigs(SAMPLES[name]!, { name: 'Power Monitor' }, settings).map(
        (message) => message.topic.split('/')[1],
      );
    expect(components('Switch')).toEqual(['switch']);
    expect(components('Dimmer')).toEqual(['light']);
    expect(components('Selector Switch')).toEqual(['select']);
    expect(components('Setpoint')).toEqual(['number']);
    expect(components('Push On')).toEqual(['button']);
    expect(components('Text')).toEqual(['sensor']);
    expect(components('Contact')).toEqual(['binary_sensor']);
    expect(components('Temp+Hum+Baro')).toEqual(['sensor', 'sensor', 'sensor']);
  });

  it('hides, disables or shows unused units as configured', () => {
    const unused = sample('Switch', { used: false });
    expect(discoveryConfigs(unused, { name: 'x' }, { ...settings, unusedUnits: 'hidden' })).toEqual([]);
    expect(
      discoveryConfigs(unused, { name: 'x' }, { ...settings, unusedUnits: 'disabled' })[0]!.config
        .enabled_by_default,
    ).toBe(false);
    expect(discoveryConfigs(unused, { name: 'x' }, settings)[0]!.config.enabled_by_default).toBeUndefined();
  });
});

describe('discovery ids', () => {
  it('keeps plain values readable and encodes the rest reversibly', () => {
    expect(idPart('Power')).toBe('Power');
    expect(idPart('a_b')).toBe('-615f62');
    expect(idPart('')).toBe('-');
    expect(idPart('-x')).toBe('-2d78');
  });

  it('never gives two units the same ids, even when plugin ids contain "_"', () => {
    const ids = [
      `${nodeId('wattbus', 'a_b')}_${objectId('c', 1)}`,
      `${nodeId('wattbus', 'a')}_${objectId('b_c', 1)}`,
      `${nodeId('wattbus', 'a')}_${objectId('b', 1, 'energy')}`,
      `${nodeId('wattbus', 'a_b')}_${objectId('1', 1)}`,
      `${nodeId('wattbus_a', 'b')}_${objectId('1', 1)}`,
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});
