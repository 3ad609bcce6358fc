import { DecodedValues } from '@wattbus/shared';
import { describe, expect, it } from 'vitest';
import { resolveCommand } from './commands.js';
import { decodeValues } from './decode.js';
import { findTypeName, TYPE_NAMES, typeNameOf } from './type-names.js';
import { type UnitKind, unitKind } from './unit-kind.js';

const unitOf = (
  sValue: string,
  extra: Partial<{ nValue: number; switchtype: number; lastLevel: number; color: string }> = {},
) => ({
  nValue: 0,
  sValue,
  switchtype: 0,
  lastLevel: 0,
  color: '',
  ...extra,
});

describe('TypeName catalogue', () => {
  it('sets the Type, SubType and SwitchType of spec §5', () => {
    const expected: Record<string, [number, number, number]> = {
      Switch: [244, 73, 0],
      Dimmer: [244, 73, 7],
      'Selector Switch': [244, 62, 18],
      'Push On': [244, 73, 9],
      'Push Off': [244, 73, 10],
      kWh: [243, 29, 0],
      'Counter Incremental': [243, 28, 0],
      Barometer: [243, 26, 0],
      Custom: [243, 31, 0],
      Text: [243, 19, 0],
      Voltage: [243, 8, 0],
      'Current (Single)': [243, 23, 0],
      Temperature: [80, 5, 0],
      'Temp+Hum+Baro': [84, 1, 0],
      Usage: [248, 1, 0],
      Gas: [251, 2, 0],
      'P1 Smart Meter': [250, 1, 0],
      'Managed Counter': [243, 33, 0],
    };
    for (const [name, [type, subtype, switchtype]] of Object.entries(expected)) {
      expect(findTypeName(name), name).toMatchObject({ type, subtype, switchtype });
    }
  });

  it('matches names without regard to case and gives the Selector Switch its level options', () => {
    expect(findTypeName('KWH')?.name).toBe('kWh');
    expect(findTypeName('selector switch')?.options?.LevelNames).toBe('Off|Level1|Level2|Level3');
    expect(findTypeName('Custom')?.options).toEqual({ Custom: '1;' });
    expect(findTypeName('No Such Type')).toBeUndefined();
  });

  it('names raw types back, ignoring the meter Switchtype of counters', () => {
    expect(typeNameOf(243, 29, 0)).toBe('kWh');
    expect(typeNameOf(243, 28, 1)).toBe('Counter Incremental');
    expect(typeNameOf(244, 73, 7)).toBe('Dimmer');
    expect(typeNameOf(244, 73, 3)).toBeUndefined();
    expect(typeNameOf(1, 2, 3)).toBeUndefined();
  });

  it('gives every TypeName a kind the registry understands, and unique names', () => {
    const names = new Set<string>();
    for (const entry of TYPE_NAMES) {
      expect(unitKind(entry.type, entry.subtype, entry.switchtype), entry.name).not.toBe('unknown');
      expect(names.has(entry.name.toLowerCase())).toBe(false);
      names.add(entry.name.toLowerCase());
    }
  });
});

describe('decoded values', () => {
  const decode = (kind: UnitKind, ...args: Parameters<typeof unitOf>) => {
    const values = decodeValues(kind, unitOf(...args));
    // Every decoded state must fit the contract's schema, or publishing it would fail.
    expect(DecodedValues.safeParse(values).success).toBe(true);
    return values;
  };

  it('reads kWh as W and kWh (sValue energy is Wh)', () => {
    expect(decode('kwh', '123;123456')).toEqual({ power: 123, energy: 123.456 });
  });

  it('reads switch state, dimmer level, selector level and colour', () => {
    expect(decode('switch', '', { nValue: 1 })).toEqual({ state: 'ON' });
    expect(decode('dimmer', '40', { nValue: 2 })).toEqual({ state: 'ON', level: 40 });
    expect(decode('dimmer', '', { nValue: 0, lastLevel: 70 })).toEqual({ state: 'OFF', level: 70 });
    expect(decode('selector', '20', { nValue: 2 })).toEqual({ state: 'ON', level: 20 });
    expect(decode('selector', '20', { nValue: 0 })).toEqual({ state: 'OFF', level: 0 });
    expect(decode('color', '50', { nValue: 1, color: '{"m":3,"r":255,"g":10,"b":0}' })).toEqual({
      state: 'ON',
      level: 50,
      rgb: [255, 10, 0],
    });
  });

  it('reads counters by their meter Switchtype', () => {
    expect(decode('counter_incremental', '12345')).toEqual({ counter: 12345, energy: 12.345 });
    expect(decode('counter_incremental', '2500', { switchtype: 1 })).toEqual({ counter: 2500, gas: 2.5 });
    expect(decode('counter', '800', { switchtype: 2 })).toEqual({ counter: 800, water: 0.8 });
    expect(decode('counter', '7', { switchtype: 3 })).toEqual({ counter: 7 });
    expect(decode('managed_counter', '-1;78')).toEqual({ usage: 78 });
    expect(decode('managed_counter', '5000;78')).toEqual({ counter: 5000, energy: 5, usage: 78 });
  });

  it('reads the P1 meter, gas and climate types', () => {
    expect(decode('p1', '1000;2000;300;400;850;10')).toEqual({
      import_energy: 3,
      export_energy: 0.7,
      power: 850,
      return_power: 10,
    });
    expect(decode('gas', '1234')).toEqual({ counter: 1234, gas: 1.234 });
    expect(decode('temp_hum_baro', '21.5;45;1;1013;3')).toEqual({
      temperature: 21.5,
      humidity: 45,
      pressure: 1013,
      forecast: 3,
    });
    expect(decode('barometer', '1013.2;1')).toEqual({ pressure: 1013.2, forecast: 1 });
    expect(decode('wind', '90;E;25;40;12.5;10')).toEqual({
      wind_bearing: 90,
      wind_speed: 2.5,
      wind_gust: 4,
      temperature: 12.5,
    });
    expect(decode('rain', '150;23.4')).toEqual({ rain_rate: 1.5, rain: 23.4 });
    expect(decode('humidity', '1', { nValue: 55 })).toEqual({ humidity: 55 });
    expect(decode('voltage', '230.5')).toEqual({ value: 230.5 });
    expect(decode('temperature', '-3.5')).toEqual({ value: -3.5, temperature: -3.5 });
    expect(decode('text', 'hello')).toEqual({ value: 'hello' });
  });

  it('leaves a value that is missing undecoded', () => {
    expect(decode('kwh', '')).toEqual({});
    expect(decode('voltage', '')).toEqual({});
  });
});

describe('commands', () => {
  const target = (kind: UnitKind, nValue = 0, options: Record<string, string> = {}) => ({
    kind,
    nValue,
    options,
  });

  it('accepts On/Off/Toggle on switches and turns Toggle into the opposite state', () => {
    expect(resolveCommand(target('switch', 0), { command: 'on' })).toEqual({
      ok: true,
      command: 'On',
      level: 0,
      color: null,
    });
    expect(resolveCommand(target('switch', 1), { command: 'Toggle' })).toMatchObject({ command: 'Off' });
    expect(resolveCommand(target('switch', 0), { command: 'toggle' })).toMatchObject({ command: 'On' });
    expect(resolveCommand(target('switch'), { command: 'Set Level', level: 5 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/accepts On, Off, Toggle/),
    });
  });

  it('checks dimmer levels and needs a level for Set Level', () => {
    expect(resolveCommand(target('dimmer'), { command: 'Set  Level', level: 40 })).toMatchObject({
      ok: true,
      level: 40,
    });
    expect(resolveCommand(target('dimmer'), { command: 'Set Level', level: 140 }).ok).toBe(false);
    expect(resolveCommand(target('dimmer'), { command: 'Set Level' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/needs a level/),
    });
  });

  it('only accepts the levels a selector has', () => {
    const options = { LevelNames: 'Off|Eco|Comfort' };
    expect(resolveCommand(target('selector', 0, options), { command: 'Set Level', level: 20 }).ok).toBe(true);
    expect(resolveCommand(target('selector', 0, options), { command: 'Set Level', level: 30 })).toMatchObject(
      {
        ok: false,
        error: expect.stringMatching(/10 \(Eco\)/),
      },
    );
  });

  it('takes float setpoints within ValueMin and ValueMax', () => {
    expect(resolveCommand(target('setpoint'), { command: 'Set Level', level: 21.5 })).toMatchObject({
      ok: true,
      level: 21.5,
    });
    expect(
      resolveCommand(target('setpoint', 0, { ValueMax: '30' }), { command: 'Set Level', level: 31 }).ok,
    ).toBe(false);
  });

  it('needs a colour for Set Color and refuses commands to sensors and buttons of the wrong kind', () => {
    const color = { m: 3, r: 255, g: 0, b: 0 };
    expect(resolveCommand(target('color'), { command: 'Set Color', color, level: 80 })).toEqual({
      ok: true,
      command: 'Set Color',
      level: 80,
      color,
    });
    expect(resolveCommand(target('color'), { command: 'Set Color' }).ok).toBe(false);
    expect(resolveCommand(target('kwh'), { command: 'On' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/does not take commands/),
    });
    expect(resolveCommand(target('push_on'), { command: 'Off' }).ok).toBe(false);
    expect(resolveCommand(target('push_off'), { command: 'Off' }).ok).toBe(true);
  });
});
