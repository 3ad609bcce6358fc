import type { DecodedValues } from '@wattbus/shared';
import { parseNumber } from './numbers.js';
import { isNumericKind, meterOf, type UnitKind } from './unit-kind.js';

export interface DecodableUnit {
  nValue: number;
  sValue: string;
  switchtype: number;
  lastLevel: number;
  color: string;
}

const SWITCH_KINDS = new Set<UnitKind>([
  'switch',
  'dimmer',
  'blinds',
  'selector',
  'push_on',
  'push_off',
  'color',
  'contact',
  'door',
  'motion',
  'smoke',
  'doorbell',
  'dusk',
]);

const kwh = (wh: number | undefined) => (wh === undefined ? undefined : wh / 1000);

/** Litres (dm³) to m³: gas and water counters count litres, as Domoticz's P1 gas meter does. */
const cubicMetres = (litres: number | undefined) => (litres === undefined ? undefined : litres / 1000);

function fields(sValue: string): (number | undefined)[] {
  return sValue.split(';').map((field) => parseNumber(field));
}

/** Reads the RGB of a Domoticz Color JSON (`{"m":3,"r":255,...}`); white mode is full white. */
function rgbOf(color: string): [number, number, number] | undefined {
  if (!color) return undefined;
  try {
    const parsed = JSON.parse(color) as { m?: number; r?: number; g?: number; b?: number };
    if (parsed.m === 1) return [255, 255, 255];
    if ((parsed.m === 3 || parsed.m === 4) && [parsed.r, parsed.g, parsed.b].every(isByte)) {
      return [parsed.r!, parsed.g!, parsed.b!];
    }
  } catch {
    // A colour a plugin stored in some other form is left undecoded.
  }
  return undefined;
}

function isByte(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255;
}

/** Drops undefined entries, so the retained state only lists what the type defines. */
function defined(values: DecodedValues): DecodedValues {
  const kept: Record<string, unknown> = {};
  for (const key in values) {
    const value = values[key as keyof DecodedValues];
    if (value !== undefined) kept[key] = value;
  }
  return kept as DecodedValues;
}

function meterValues(switchtype: number, counter: number | undefined): DecodedValues {
  switch (meterOf(switchtype)) {
    case 'energy':
    case 'energy_generated':
      return { counter, energy: kwh(counter) };
    case 'gas':
      return { counter, gas: cubicMetres(counter) };
    case 'water':
      return { counter, water: cubicMetres(counter) };
    default:
      return { counter };
  }
}

/**
 * The decoded fields of a unit's retained state (spec §5 formats): kWh gives `power` in W and `energy` in kWh
 * (its sValue energy is Wh, as in Domoticz), switches give `state`, and so on. Home Assistant's templates read
 * these fields, so no consumer ever parses sValue.
 */
export function decodeValues(kind: UnitKind, unit: DecodableUnit): DecodedValues {
  const { nValue, sValue } = unit;
  const values: DecodedValues = {};
  if (SWITCH_KINDS.has(kind)) values.state = nValue !== 0 ? 'ON' : 'OFF';
  if (isNumericKind(kind)) {
    const value = parseNumber(sValue);
    return defined({ value, temperature: kind === 'temperature' ? value : undefined });
  }
  const f = fields(sValue);
  switch (kind) {
    case 'dimmer':
    case 'blinds':
    case 'color':
      return defined({
        ...values,
        level: f[0] ?? unit.lastLevel,
        rgb: kind === 'color' ? rgbOf(unit.color) : undefined,
      });
    case 'selector':
      return defined({ ...values, level: nValue === 0 ? 0 : (f[0] ?? 0) });
    case 'setpoint':
      return defined({ value: f[0] });
    case 'text':
      return { value: sValue };
    case 'alert':
      return { value: sValue, level: nValue };
    case 'kwh':
      return defined({ power: f[0], energy: kwh(f[1]) });
    case 'usage':
      return defined({ power: f[0] });
    case 'counter_incremental':
    case 'counter':
      return defined(meterValues(unit.switchtype, f[0]));
    case 'managed_counter': {
      // COUNTER is -1 when the plugin cannot know the absolute value.
      const counter = f[0] !== undefined && f[0] >= 0 ? f[0] : undefined;
      return defined({ ...meterValues(unit.switchtype, counter), usage: f[1] });
    }
    case 'p1': {
      const sum = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? undefined : a + b;
      return defined({
        import_energy: kwh(sum(f[0], f[1])),
        export_energy: kwh(sum(f[2], f[3])),
        power: f[4],
        return_power: f[5],
      });
    }
    case 'gas':
      return defined({ counter: f[0], gas: cubicMetres(f[0]) });
    case 'humidity':
      return { humidity: nValue };
    case 'temp_hum':
      return defined({ temperature: f[0], humidity: f[1] });
    case 'temp_hum_baro':
      return defined({ temperature: f[0], humidity: f[1], pressure: f[3], forecast: f[4] });
    case 'temp_baro':
      return defined({ temperature: f[0], pressure: f[1], forecast: f[2] });
    case 'barometer':
      return defined({ pressure: f[0], forecast: f[1] });
    case 'rain':
      // Domoticz's rain rate is in hundredths of mm/h.
      return defined({ rain_rate: f[0] === undefined ? undefined : f[0] / 100, rain: f[1] });
    case 'wind':
      // Speed and gust are in tenths of m/s.
      return defined({
        wind_bearing: f[0],
        wind_speed: f[2] === undefined ? undefined : f[2] / 10,
        wind_gust: f[3] === undefined ? undefined : f[3] / 10,
        temperature: f[4],
      });
    case 'uv':
      return defined({ uv: f[0] });
    case 'current3':
      return defined({ current_l1: f[0], current_l2: f[1], current_l3: f[2] });
    case 'air_quality':
      return { value: nValue };
    default:
      return values;
  }
}
