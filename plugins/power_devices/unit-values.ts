import type { Energy, Reading } from '@wattbus/shared/contract/readings.js';
import type { ChannelRef, EnergySource, PlannedUnit, PowerSource } from './unit-plan.js';

/** The figures of a reading power_devices reads (power-calculation.md section 4 plus frequency). */
export type ReadingFigures = Omit<Reading, 'timestamp'>;

/** The counters of `<base>/energy` power_devices reads (Wh). */
export type EnergyFigures = Omit<Energy, 'timestamp'>;

interface ChannelFigures {
  power?: number;
  current?: number;
  pf?: number;
  voltage?: number;
}

function channelOf(reading: ReadingFigures, ref: ChannelRef): ChannelFigures | undefined {
  if ('ct' in ref) return reading.cts[ref.ct];
  if ('aggregate' in ref) return reading[ref.aggregate];
  return { voltage: reading.voltage };
}

function powerOf(reading: ReadingFigures, source: PowerSource): number | undefined {
  const power = channelOf(reading, source.channel)?.power;
  if (power === undefined) return undefined;
  if (source.part === 'import') return Math.max(power, 0);
  if (source.part === 'export') return Math.max(-power, 0);
  return power;
}

function energyOf(energy: EnergyFigures | undefined, source: EnergySource): number | undefined {
  if (!energy) return undefined;
  const counter = 'ct' in source.counter ? energy.cts[source.counter.ct] : energy[source.counter.aggregate];
  return counter?.[source.direction];
}

/** A fixed number of decimals without "-0.0": Domoticz shows sValue as it is. */
function fixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/**
 * The sValue of a unit for the latest figures, in Domoticz's formats: kWh `"<W>;<Wh>"`, Voltage `"239.9"`,
 * Current (Single) `"10.02"` (A), Percentage `"88.6"` (power factor x 100), Custom `"50.01"` (Hz). Undefined when
 * the figures needed are not known yet (no energy counters so far, or a channel missing from the reading): the
 * unit then keeps its last value rather than showing a made-up zero.
 */
export function sValueOf(
  unit: PlannedUnit,
  reading: ReadingFigures,
  energy: EnergyFigures | undefined,
): string | undefined {
  const source = unit.source;
  switch (source.kind) {
    case 'kwh': {
      const power = powerOf(reading, source.power);
      const wh = energyOf(energy, source.energy);
      if (power === undefined || wh === undefined) return undefined;
      // Energy is floored so that the counter never appears to run ahead of the sampler's own value.
      return `${fixed(power, 1)};${fixed(Math.floor(wh * 10) / 10, 1)}`;
    }
    case 'voltage': {
      const voltage = channelOf(reading, source.channel)?.voltage;
      return voltage === undefined ? undefined : fixed(voltage, 1);
    }
    case 'current': {
      const current = channelOf(reading, source.channel)?.current;
      return current === undefined ? undefined : fixed(current, 2);
    }
    case 'power_factor': {
      const pf = channelOf(reading, source.channel)?.pf;
      return pf === undefined ? undefined : fixed(Math.abs(pf) * 100, 1);
    }
    case 'frequency':
      return reading.frequency === undefined ? undefined : fixed(reading.frequency, 2);
  }
}
