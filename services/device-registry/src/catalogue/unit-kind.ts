import { ColorSwitch, General, LightSwitch, MeterType, SwitchType, Type } from './domoticz-types.js';

/**
 * What a Unit is, derived from its Type, SubType and SwitchType. Value formats, commands and the Home Assistant
 * mapping all switch on this one classification, so a raw `Type=243, Subtype=29` and `TypeName="kWh"` behave alike.
 */
export type UnitKind =
  // Switches that take commands.
  | 'switch'
  | 'dimmer'
  | 'blinds'
  | 'selector'
  | 'push_on'
  | 'push_off'
  | 'color'
  | 'setpoint'
  // Switch types that report a state (Domoticz still lets the API switch them, as a virtual sensor).
  | 'contact'
  | 'door'
  | 'motion'
  | 'smoke'
  | 'doorbell'
  | 'dusk'
  // Text.
  | 'text'
  | 'alert'
  // Energy and meters.
  | 'kwh'
  | 'usage'
  | 'counter_incremental'
  | 'managed_counter'
  | 'counter'
  | 'p1'
  | 'gas'
  // A single number in sValue.
  | NumericKind
  // Several values in sValue.
  | 'humidity'
  | 'temp_hum'
  | 'temp_hum_baro'
  | 'temp_baro'
  | 'barometer'
  | 'rain'
  | 'wind'
  | 'uv'
  | 'current3'
  | 'air_quality'
  | 'unknown';

export const NUMERIC_KINDS = [
  'temperature',
  'voltage',
  'current',
  'percentage',
  'pressure',
  'sound_level',
  'distance',
  'visibility',
  'solar_radiation',
  'soil_moisture',
  'leaf_wetness',
  'waterflow',
  'custom',
  'illuminance',
  'weight',
] as const;
export type NumericKind = (typeof NUMERIC_KINDS)[number];

const numericKinds = new Set<string>(NUMERIC_KINDS);
export function isNumericKind(kind: UnitKind): kind is NumericKind {
  return numericKinds.has(kind);
}

/** Kinds whose values are meter readings; they write automatic history rows (see `history_interval`). */
const meterKinds = new Set<UnitKind>(['kwh', 'usage', 'counter_incremental', 'counter', 'p1', 'gas']);
export function isMeterKind(kind: UnitKind): boolean {
  return meterKinds.has(kind);
}

const generalKinds: Record<number, UnitKind> = {
  [General.Visibility]: 'visibility',
  [General.SolarRadiation]: 'solar_radiation',
  [General.SoilMoisture]: 'soil_moisture',
  [General.LeafWetness]: 'leaf_wetness',
  [General.Percentage]: 'percentage',
  [General.Voltage]: 'voltage',
  [General.Pressure]: 'pressure',
  [General.Text]: 'text',
  [General.Alert]: 'alert',
  [General.CurrentSingle]: 'current',
  [General.SoundLevel]: 'sound_level',
  [General.Barometer]: 'barometer',
  [General.Distance]: 'distance',
  [General.CounterIncremental]: 'counter_incremental',
  [General.Kwh]: 'kwh',
  [General.Waterflow]: 'waterflow',
  [General.Custom]: 'custom',
  [General.ManagedCounter]: 'managed_counter',
};

const switchKinds: Record<number, UnitKind> = {
  [SwitchType.OnOff]: 'switch',
  [SwitchType.Doorbell]: 'doorbell',
  [SwitchType.Contact]: 'contact',
  [SwitchType.Blinds]: 'blinds',
  [SwitchType.SmokeDetector]: 'smoke',
  [SwitchType.BlindsInverted]: 'blinds',
  [SwitchType.Dimmer]: 'dimmer',
  [SwitchType.Motion]: 'motion',
  [SwitchType.PushOn]: 'push_on',
  [SwitchType.PushOff]: 'push_off',
  [SwitchType.DoorContact]: 'door',
  [SwitchType.Dusk]: 'dusk',
  [SwitchType.BlindsPercentage]: 'blinds',
  [SwitchType.VenetianBlindsUS]: 'blinds',
  [SwitchType.VenetianBlindsEU]: 'blinds',
  [SwitchType.BlindsPercentageInverted]: 'blinds',
  [SwitchType.Selector]: 'selector',
  [SwitchType.BlindsPercentageWithStop]: 'blinds',
};

export function unitKind(type: number, subtype: number, switchtype: number): UnitKind {
  switch (type) {
    case Type.LightSwitch:
      if (subtype === LightSwitch.Selector) return 'selector';
      return switchKinds[switchtype] ?? 'switch';
    case Type.Lighting1:
    case Type.Lighting2:
      return switchKinds[switchtype] ?? 'switch';
    case Type.ColorSwitch:
      return subtype >= ColorSwitch.RGBW && subtype <= ColorSwitch.ColdWarmWhite ? 'color' : 'unknown';
    case Type.Thermostat:
      return subtype === 1 ? 'setpoint' : 'unknown';
    case Type.General:
      return generalKinds[subtype] ?? 'unknown';
    case Type.Temp:
      return 'temperature';
    case Type.Humidity:
      return 'humidity';
    case Type.TempHum:
      return 'temp_hum';
    case Type.TempHumBaro:
      return 'temp_hum_baro';
    case Type.TempBaro:
      return 'temp_baro';
    case Type.Rain:
      return 'rain';
    case Type.Wind:
      return 'wind';
    case Type.UV:
      return 'uv';
    case Type.Current:
      return 'current3';
    case Type.Weight:
      return 'weight';
    case Type.Counter:
      return 'counter';
    case Type.Lux:
      return 'illuminance';
    case Type.Usage:
      return 'usage';
    case Type.AirQuality:
      return 'air_quality';
    case Type.P1Power:
      return subtype === 1 ? 'p1' : 'unknown';
    case Type.P1Gas:
      return subtype === 2 ? 'gas' : 'unknown';
    default:
      return 'unknown';
  }
}

export type Meter = 'energy' | 'energy_generated' | 'gas' | 'water' | 'counter' | 'time';

/** What a counter counts, from its Switchtype (spec §5: 0 Energy, 1 Gas, 2 Water, 3 Counter, 4 Generated, 5 Time). */
export function meterOf(switchtype: number): Meter {
  switch (switchtype) {
    case MeterType.Gas:
      return 'gas';
    case MeterType.Water:
      return 'water';
    case MeterType.Counter:
      return 'counter';
    case MeterType.EnergyGenerated:
      return 'energy_generated';
    case MeterType.Time:
      return 'time';
    default:
      return 'energy';
  }
}
