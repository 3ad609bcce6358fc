import { z } from 'zod';
import { DeviceId, IsoTimestamp, PluginId, UnitNumber } from './primitives.js';

/** Domoticz Options: a dictionary with string keys and string values. */
export const UnitOptions = z.record(z.string().max(256), z.string().max(4096));
export type UnitOptions = z.infer<typeof UnitOptions>;

const Byte = z.number().int().min(0).max(255);

/** The colour JSON of Domoticz: mode m (1 white, 2 temperature, 3 RGB, 4 custom) and 0-255 channels. */
export const Color = z.object({
  m: z.number().int().min(1).max(4),
  t: Byte.optional(),
  r: Byte.optional(),
  g: Byte.optional(),
  b: Byte.optional(),
  cw: Byte.optional(),
  ww: Byte.optional(),
});
export type Color = z.infer<typeof Color>;

/** Fields a plugin may set on a Unit (Domoticz names, in the contract's spelling). */
export const UnitFields = z.object({
  name: z.string().min(1).max(100),
  type: Byte,
  subtype: Byte,
  switchtype: Byte,
  nValue: z.number().int().min(-2147483648).max(2147483647),
  sValue: z.string().max(4096),
  options: UnitOptions,
  batteryLevel: Byte,
  signalLevel: Byte,
  image: z.number().int().min(0),
  used: z.boolean(),
  description: z.string().max(4096),
  color: z.string().max(1024),
  lastLevel: z.number().int(),
});
export type UnitFields = z.infer<typeof UnitFields>;

/** A Unit as the registry stores it. `id` is the registry's row id (Domoticz's device idx). */
export const UnitRecord = UnitFields.extend({
  id: z.number().int(),
  hardware: PluginId,
  deviceId: DeviceId,
  unit: UnitNumber,
  typeName: z.string().optional(),
  adjustment: z.number(),
  multiplier: z.number(),
  lastUpdate: IsoTimestamp,
});
export type UnitRecord = z.infer<typeof UnitRecord>;

export const DeviceRecord = z.object({
  hardware: PluginId,
  deviceId: DeviceId,
  timedOut: z.boolean(),
  units: z.array(UnitRecord),
});
export type DeviceRecord = z.infer<typeof DeviceRecord>;

/**
 * Values decoded from nValue/sValue where the type defines them, added to the retained unit state so that Home
 * Assistant and scripts never parse sValue themselves.
 */
export const DecodedValues = z.object({
  /** Switches: "ON" / "OFF". */
  state: z.enum(['ON', 'OFF']).optional(),
  /** Dimmers and selectors: 0-100 or the selector level. */
  level: z.number().optional(),
  /** Power in W (kWh, P1, usage types). */
  power: z.number().optional(),
  /** Energy in kWh (kWh, counters of energy). */
  energy: z.number().optional(),
  /** A single numeric value for General sensors (voltage, current, percentage, custom, ...). */
  value: z.union([z.number(), z.string()]).optional(),
  temperature: z.number().optional(),
  humidity: z.number().optional(),
  pressure: z.number().optional(),
  forecast: z.number().int().optional(),
  counter: z.number().optional(),
  usage: z.number().optional(),
  import_energy: z.number().optional(),
  export_energy: z.number().optional(),
  gas: z.number().optional(),
  /** Water in m³ (counters with Switchtype Water). */
  water: z.number().optional(),
  /** P1 smart meter: power returned to the grid, W. */
  return_power: z.number().optional(),
  /** Three-phase current (Current/Ampere), A. */
  current_l1: z.number().optional(),
  current_l2: z.number().optional(),
  current_l3: z.number().optional(),
  /** Wind: speed and gust in m/s, bearing in degrees. */
  wind_speed: z.number().optional(),
  wind_gust: z.number().optional(),
  wind_bearing: z.number().optional(),
  /** Rain: rate in mm/h and the total in mm. */
  rain_rate: z.number().optional(),
  rain: z.number().optional(),
  uv: z.number().optional(),
  /** Colour lights: the colour as red, green, blue 0-255 (from the Color JSON). */
  rgb: z.array(z.number().int().min(0).max(255)).length(3).optional(),
});
export type DecodedValues = z.infer<typeof DecodedValues>;

/** `<base>/devices/<hw>/<device>/<unit>`: the retained state of one Unit. */
export const UnitState = z
  .object({
    name: z.string(),
    type: Byte,
    subtype: Byte,
    switchtype: Byte,
    typeName: z.string().optional(),
    nValue: z.number().int(),
    sValue: z.string(),
    options: UnitOptions,
    batteryLevel: Byte,
    signalLevel: Byte,
    used: z.boolean(),
    timedOut: z.boolean(),
    lastUpdate: IsoTimestamp,
    description: z.string().optional(),
    color: z.string().optional(),
    lastLevel: z.number().int().optional(),
  })
  .extend(DecodedValues.shape);
export type UnitState = z.infer<typeof UnitState>;

/** A command in its normalised form: Domoticz's onCommand(Command, Level, Color). */
export const UnitCommand = z.strictObject({
  command: z.string().trim().min(1, 'must not be empty').max(64),
  level: z.number().finite().optional(),
  color: Color.optional(),
});
export type UnitCommand = z.infer<typeof UnitCommand>;

const PLAIN_WITH_LEVEL = /^(.*\S)\s+(-?\d+(?:\.\d+)?)$/;

/**
 * Reads the payload of a `.../set` topic: JSON `{"command", "level", "color"}` or a plain command such as `On`,
 * `Set Level 40` or `Set Color {"m":3,"r":255,"g":0,"b":0}`. Returns the raw object for `UnitCommand` to validate.
 */
export function readCommandText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  const colorStart = trimmed.indexOf('{');
  if (colorStart > 0) {
    return { command: trimmed.slice(0, colorStart).trim(), color: JSON.parse(trimmed.slice(colorStart)) };
  }
  const withLevel = PLAIN_WITH_LEVEL.exec(trimmed);
  if (withLevel) return { command: withLevel[1], level: Number(withLevel[2]) };
  return { command: trimmed };
}
