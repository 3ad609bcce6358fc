import type { UnitOptions } from '@wattbus/shared';
import { ColorSwitch, General, LightSwitch, SwitchType, Type } from './domoticz-types.js';

export interface TypeNameEntry {
  name: string;
  type: number;
  subtype: number;
  switchtype: number;
  /** Options the type needs to work (a Selector Switch's levels); a plugin's own Options win key by key. */
  options?: UnitOptions;
  /** True for names wattbus adds where Domoticz has no TypeName (docs/registry.md lists them). */
  extension?: boolean;
}

function entry(
  name: string,
  type: number,
  subtype: number,
  switchtype = 0,
  extra: Partial<TypeNameEntry> = {},
): TypeNameEntry {
  return { name, type, subtype, switchtype, ...extra };
}

/**
 * The TypeName catalogue: Domoticz's plugin TypeNames (spec §5 and the framework's own table) and the Type,
 * SubType and SwitchType each one sets. The order is the order of docs/registry.md.
 */
export const TYPE_NAMES: readonly TypeNameEntry[] = [
  // Switches.
  entry('Switch', Type.LightSwitch, LightSwitch.Switch, SwitchType.OnOff),
  entry('Dimmer', Type.LightSwitch, LightSwitch.Switch, SwitchType.Dimmer),
  entry('Push On', Type.LightSwitch, LightSwitch.Switch, SwitchType.PushOn),
  entry('Push Off', Type.LightSwitch, LightSwitch.Switch, SwitchType.PushOff),
  entry('Contact', Type.LightSwitch, LightSwitch.Switch, SwitchType.Contact),
  entry('Motion', Type.LightSwitch, LightSwitch.Switch, SwitchType.Motion),
  entry('Door Contact', Type.LightSwitch, LightSwitch.Switch, SwitchType.DoorContact, { extension: true }),
  entry('Smoke Detector', Type.LightSwitch, LightSwitch.Switch, SwitchType.SmokeDetector, {
    extension: true,
  }),
  entry('Selector Switch', Type.LightSwitch, LightSwitch.Selector, SwitchType.Selector, {
    options: {
      LevelActions: '|||',
      LevelNames: 'Off|Level1|Level2|Level3',
      LevelOffHidden: 'false',
      SelectorStyle: '0',
    },
  }),
  entry('RGB', Type.ColorSwitch, ColorSwitch.RGB, SwitchType.Dimmer, { extension: true }),
  entry('RGBW', Type.ColorSwitch, ColorSwitch.RGBW, SwitchType.Dimmer, { extension: true }),
  entry('RGBWW', Type.ColorSwitch, ColorSwitch.RGBWW, SwitchType.Dimmer, { extension: true }),
  entry('White', Type.ColorSwitch, ColorSwitch.White, SwitchType.Dimmer, { extension: true }),
  entry('Setpoint', Type.Thermostat, 1, 0, { extension: true }),
  // General sensors.
  entry('Text', Type.General, General.Text),
  entry('Alert', Type.General, General.Alert),
  entry('Voltage', Type.General, General.Voltage),
  entry('Current (Single)', Type.General, General.CurrentSingle),
  entry('Current/Ampere', Type.Current, 1),
  entry('Percentage', Type.General, General.Percentage),
  entry('Pressure', Type.General, General.Pressure),
  entry('Barometer', Type.General, General.Barometer),
  entry('Sound Level', Type.General, General.SoundLevel),
  entry('Distance', Type.General, General.Distance),
  entry('Visibility', Type.General, General.Visibility),
  entry('Solar Radiation', Type.General, General.SolarRadiation),
  entry('Soil Moisture', Type.General, General.SoilMoisture),
  entry('Leaf Wetness', Type.General, General.LeafWetness),
  entry('Waterflow', Type.General, General.Waterflow),
  entry('Custom', Type.General, General.Custom, 0, { options: { Custom: '1;' } }),
  // Energy and meters.
  entry('kWh', Type.General, General.Kwh),
  entry('Usage', Type.Usage, 1),
  entry('Counter Incremental', Type.General, General.CounterIncremental),
  entry('Managed Counter', Type.General, General.ManagedCounter, 0, { extension: true }),
  entry('Counter', Type.Counter, 0, 0, { extension: true }),
  entry('P1 Smart Meter', Type.P1Power, 1, 0, { extension: true }),
  entry('Gas', Type.P1Gas, 2),
  // Climate and weather.
  entry('Temperature', Type.Temp, 5),
  entry('Humidity', Type.Humidity, 1),
  entry('Temp+Hum', Type.TempHum, 1),
  entry('Temp+Hum+Baro', Type.TempHumBaro, 1),
  entry('Temp+Baro', Type.TempBaro, 1),
  entry('Illumination', Type.Lux, 1),
  entry('Air Quality', Type.AirQuality, 1),
  entry('Rain', Type.Rain, 1),
  entry('Wind', Type.Wind, 1),
  entry('Wind+Temp+Chill', Type.Wind, 4),
  entry('UV', Type.UV, 1),
  entry('Weight', Type.Weight, 1, 0, { extension: true }),
];

const byLowerName = new Map(TYPE_NAMES.map((typeName) => [typeName.name.toLowerCase(), typeName]));

/** The catalogue entry for a TypeName, matched without regard to case (`kwh` finds `kWh`). */
export function findTypeName(name: string): TypeNameEntry | undefined {
  return byLowerName.get(name.trim().toLowerCase());
}

const namesByNumbers = new Map<string, string | undefined>();

/** The TypeName that sets exactly these numbers, for the `typeName` of units created with raw types. */
export function typeNameOf(type: number, subtype: number, switchtype: number): string | undefined {
  const key = `${type}/${subtype}/${switchtype}`;
  if (namesByNumbers.has(key)) return namesByNumbers.get(key);
  const name = findTypeNameOf(type, subtype, switchtype);
  namesByNumbers.set(key, name);
  return name;
}

function findTypeNameOf(type: number, subtype: number, switchtype: number): string | undefined {
  const exact = TYPE_NAMES.find(
    (entry) => entry.type === type && entry.subtype === subtype && entry.switchtype === switchtype,
  );
  if (exact) return exact.name;
  // Switch types matter only for switches; a sensor's name does not depend on them.
  if (type === Type.LightSwitch || type === Type.ColorSwitch) return undefined;
  return TYPE_NAMES.find((entry) => entry.type === type && entry.subtype === subtype)?.name;
}
