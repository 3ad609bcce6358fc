import type { UnitOptions } from '@wattbus/shared';
import { formatNumber, parseHistoryDate, parseNumber } from './numbers.js';
import { isNumericKind, type UnitKind } from './unit-kind.js';

/**
 * The sValue formats of spec §5: which values a kind's nValue/sValue may hold, and what writing them means (a
 * counter increment is added, a calculated kWh meter integrates its power, a dated managed-counter value goes to
 * history). Everything here is pure, so the rules are tested without a database.
 */

export interface HistoryEntry {
  timestamp: string;
  nValue: number;
  sValue: string;
}

export interface StoredValues {
  nValue: number;
  sValue: string;
  lastUpdateMs: number;
}

export interface ValueContext {
  kind: UnitKind;
  options: UnitOptions;
  /** The values stored before this write; undefined while the unit is being created. */
  previous: StoredValues | undefined;
  now: number;
  /** `energy_integration_max_gap` in ms. */
  maxGapMs: number;
}

export type ValueOutcome =
  | {
      ok: true;
      nValue: number;
      sValue: string;
      /** A history row the write asks for (a dated managed-counter or AddDBLogEntry value). */
      history?: HistoryEntry;
      /** True when the write only adds history: the unit's own values stay as they are. */
      historyOnly?: boolean;
    }
  | { ok: false; error: string };

interface FieldFormat {
  /** Names of the fields, for error messages: `sValue must be "power;energy"`. */
  names: string[];
  /** How many leading fields are required (the rest may be left out). */
  required?: number;
  /** Fields that are text rather than numbers (the wind direction `SW`). */
  text?: number[];
}

const formats: Partial<Record<UnitKind, FieldFormat>> = {
  kwh: { names: ['power', 'energy'] },
  usage: { names: ['power'] },
  counter: { names: ['counter'] },
  gas: { names: ['counter'] },
  managed_counter: { names: ['counter', 'usage'] },
  p1: { names: ['usage1', 'usage2', 'return1', 'return2', 'cons', 'prod'] },
  setpoint: { names: ['setpoint'] },
  humidity: { names: ['status'] },
  temp_hum: { names: ['temperature', 'humidity', 'status'], required: 2 },
  temp_hum_baro: { names: ['temperature', 'humidity', 'status', 'pressure', 'forecast'] },
  temp_baro: { names: ['temperature', 'pressure', 'forecast', 'altitude'], required: 3 },
  barometer: { names: ['pressure', 'forecast'] },
  rain: { names: ['rate', 'total'] },
  wind: { names: ['bearing', 'direction', 'speed', 'gust', 'temperature', 'chill'], required: 4, text: [1] },
  uv: { names: ['uv', 'temperature'], required: 1 },
  current3: { names: ['l1', 'l2', 'l3'] },
  dimmer: { names: ['level'] },
  blinds: { names: ['level'] },
  selector: { names: ['level'] },
  color: { names: ['level'] },
};

function describeFormat(format: FieldFormat): string {
  return `"${format.names.join(';')}"`;
}

/** Checks sValue against a field format; returns the numeric fields, or an error naming what was wrong. */
function readFields(format: FieldFormat, sValue: string): { values: number[] } | { error: string } {
  const fields = sValue.split(';');
  const required = format.required ?? format.names.length;
  if (fields.length < required || fields.length > format.names.length) {
    return {
      error: `sValue must be ${describeFormat(format)} (${required === format.names.length ? required : `${required} to ${format.names.length}`} fields separated by ";"), got ${JSON.stringify(sValue)}`,
    };
  }
  const values: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    if (format.text?.includes(i)) {
      values.push(Number.NaN);
      continue;
    }
    const value = parseNumber(fields[i]);
    if (value === undefined) {
      return {
        error: `sValue field ${i + 1} (${format.names[i]}) must be a number, got ${JSON.stringify(fields[i])} in ${JSON.stringify(sValue)}`,
      };
    }
    values.push(value);
  }
  return { values };
}

function isOptionTrue(options: UnitOptions, key: string): boolean {
  return options[key]?.trim().toLowerCase() === 'true';
}

/** EnergyMeterMode: Domoticz stores "1" for Calculated ("0" or absent = From Device); the word is accepted too. */
export function isCalculatedEnergy(options: UnitOptions): boolean {
  const mode = options.EnergyMeterMode?.trim().toLowerCase();
  return mode === '1' || mode === 'calculated';
}

/** Kinds that accept `COUNTER;USAGE;DATE` history rows when `AddDBLogEntry` is "true". */
const historyInjectable = new Set<UnitKind>(['kwh', 'counter_incremental', 'counter', 'gas', 'usage', 'p1']);

export function checkNValue(kind: UnitKind, nValue: number): string | undefined {
  if (kind === 'humidity' && (nValue < 0 || nValue > 100))
    return `nValue is the humidity and must be 0-100, got ${nValue}`;
  if (kind === 'alert' && (nValue < 0 || nValue > 4))
    return `nValue is the alert level and must be 0-4, got ${nValue}`;
  if (kind === 'air_quality' && nValue < 0)
    return `nValue is the air quality in ppm and must not be negative`;
  return undefined;
}

/** A DATE-suffixed history value: `COUNTER;USAGE;DATE` (managed counters, AddDBLogEntry) or the P1 forms. */
function readDatedHistory(kind: UnitKind, nValue: number, sValue: string): ValueOutcome | undefined {
  const fields = sValue.split(';');
  const timestamp = parseHistoryDate(fields[fields.length - 1]);
  if (fields.length < 2 || timestamp === undefined) return undefined;
  const values = fields.slice(0, -1);
  const allowed = kind === 'p1' ? [6, 10] : [2];
  if (!allowed.includes(values.length)) {
    const expected =
      kind === 'p1' ? '"USAGE1;USAGE2;RETURN1;RETURN2;CONS;PROD[;COUNTER1..4];DATE"' : '"COUNTER;USAGE;DATE"';
    return { ok: false, error: `a history sValue must be ${expected}, got ${JSON.stringify(sValue)}` };
  }
  const bad = values.findIndex((value) => parseNumber(value) === undefined);
  if (bad >= 0) {
    return {
      ok: false,
      error: `history sValue field ${bad + 1} must be a number, got ${JSON.stringify(values[bad])}`,
    };
  }
  const historySValue = values.join(';');
  return {
    ok: true,
    nValue,
    sValue: historySValue,
    history: { timestamp, nValue, sValue: historySValue },
    historyOnly: true,
  };
}

/**
 * Validates a write of nValue/sValue and computes what gets stored. `incoming` holds the values the plugin sent;
 * for a counter increment or a calculated meter the stored sValue differs from it.
 */
export function applyValues(
  context: ValueContext,
  incoming: { nValue: number; sValue: string },
): ValueOutcome {
  const { kind, options, previous } = context;
  const { nValue, sValue } = incoming;
  const nError = checkNValue(kind, nValue);
  if (nError) return { ok: false, error: nError };

  if (
    previous &&
    (kind === 'managed_counter' || (historyInjectable.has(kind) && isOptionTrue(options, 'AddDBLogEntry')))
  ) {
    const dated = readDatedHistory(kind, nValue, sValue);
    if (dated) return dated;
  }

  // A unit is created with an empty sValue until its first reading: that is "no value yet", valid for every kind.
  if (sValue === '' && !(previous && kind === 'counter_incremental')) return { ok: true, nValue, sValue };

  if (kind === 'counter_incremental') return applyIncrement(context, nValue, sValue);
  if (kind === 'kwh' && isCalculatedEnergy(options)) return applyCalculatedEnergy(context, nValue, sValue);
  const error = checkSValue(kind, sValue);
  return error ? { ok: false, error } : { ok: true, nValue, sValue };
}

/**
 * Checks stored values against a kind's format without applying any write semantics: used when a unit's type
 * changes but its values stay, so they must still make sense for the new type.
 */
export function checkValues(
  kind: UnitKind,
  options: UnitOptions,
  nValue: number,
  sValue: string,
): string | undefined {
  const nError = checkNValue(kind, nValue);
  if (nError) return nError;
  if (sValue === '') return undefined;
  if (kind === 'counter_incremental') {
    return parseNumber(sValue) === undefined
      ? `sValue must be a number (the counter), got ${JSON.stringify(sValue)}`
      : undefined;
  }
  if (kind === 'kwh' && isCalculatedEnergy(options)) {
    const read = readFields({ names: ['power', 'energy'], required: 1 }, sValue);
    return 'error' in read ? read.error : undefined;
  }
  return checkSValue(kind, sValue);
}

function checkSValue(kind: UnitKind, sValue: string): string | undefined {
  if (isNumericKind(kind)) {
    return parseNumber(sValue) === undefined
      ? `sValue must be a number, got ${JSON.stringify(sValue)}`
      : undefined;
  }
  const format = formats[kind];
  if (!format) return undefined;
  const read = readFields(format, sValue);
  if ('error' in read) return read.error;
  if (
    (kind === 'barometer' || kind === 'temp_hum_baro' || kind === 'temp_baro') &&
    !validForecast(kind, read.values)
  ) {
    return `the forecast in sValue must be an integer 0-6, got ${JSON.stringify(sValue)}`;
  }
  return undefined;
}

function validForecast(kind: UnitKind, values: number[]): boolean {
  const index = kind === 'barometer' ? 1 : kind === 'temp_hum_baro' ? 4 : 2;
  const forecast = values[index]!;
  return Number.isInteger(forecast) && forecast >= 0 && forecast <= 6;
}

/** Counter Incremental: the stored sValue is the counter; a write adds its increment, a negative one resets it. */
function applyIncrement(context: ValueContext, nValue: number, sValue: string): ValueOutcome {
  const value = parseNumber(sValue);
  if (value === undefined) {
    const what = context.previous
      ? 'the increment to add (a negative value resets the counter)'
      : 'the initial counter value';
    return { ok: false, error: `sValue must be a number, ${what}; got ${JSON.stringify(sValue)}` };
  }
  if (!context.previous) return { ok: true, nValue, sValue: formatNumber(value) };
  const total = parseNumber(context.previous.sValue) ?? 0;
  return { ok: true, nValue, sValue: formatNumber(value < 0 ? 0 : total + value) };
}

/**
 * EnergyMeterMode Calculated: the device's energy value is ignored and the registry integrates power over time
 * (the trapezoid between the previous and the new power). A gap longer than `energy_integration_max_gap` adds
 * nothing, so a power value that went stale while the plugin was down never invents energy.
 */
function applyCalculatedEnergy(context: ValueContext, nValue: number, sValue: string): ValueOutcome {
  const fields = sValue.split(';');
  if (fields.length > 2) {
    return {
      ok: false,
      error: `sValue must be "power" or "power;energy" (energy is ignored in Calculated mode), got ${JSON.stringify(sValue)}`,
    };
  }
  const power = parseNumber(fields[0]);
  if (power === undefined)
    return { ok: false, error: `sValue field 1 (power) must be a number, got ${JSON.stringify(fields[0])}` };
  let energy = 0;
  const previous = context.previous;
  if (previous) {
    const [previousPower, previousEnergy] = previous.sValue.split(';').map((field) => parseNumber(field));
    energy = previousEnergy ?? 0;
    const elapsedMs = context.now - previous.lastUpdateMs;
    if (previousPower !== undefined && elapsedMs > 0 && elapsedMs <= context.maxGapMs) {
      energy += (((previousPower + power) / 2) * elapsedMs) / 3_600_000;
    }
  }
  return { ok: true, nValue, sValue: `${formatNumber(power)};${formatNumber(energy)}` };
}
