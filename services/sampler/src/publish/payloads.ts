import type { CtReading, Reading } from '@wattbus/shared';
import type { Figures } from '../aggregates.js';
import type { ChannelFigures, ChannelType } from '../calculate/types.js';
import type { FieldValues } from './publish-gate.js';

type ChannelKey = keyof Reading['cts'];

/** The `<base>/readings` payload (power-calculation.md section 4 plus timestamp and frequency). */
export function readingPayload(figures: Figures, timestamp: string): Reading {
  const cts: Reading['cts'] = {};
  for (const [channel, f] of figures.cts) {
    cts[String(channel) as ChannelKey] = { power: f.power, pf: f.pf, current: f.current, voltage: f.voltage };
  }
  const reading: Reading = {
    cts,
    production: {
      power: figures.production.power,
      pf: figures.production.pf,
      current: figures.production.current,
    },
    'home-consumption': { power: figures.home.power, current: figures.home.current },
    net: { power: figures.net.power, current: figures.net.current },
    voltage: figures.voltage,
    timestamp,
  };
  if (figures.frequency !== undefined && figures.frequency > 0) reading.frequency = figures.frequency;
  return reading;
}

export interface ChannelLabel {
  number: number;
  name?: string | undefined;
  type: ChannelType;
}

/** The `<base>/readings/ct/<n>` payload. */
export function ctReadingPayload(
  channel: ChannelLabel,
  figures: ChannelFigures,
  timestamp: string,
): CtReading {
  return {
    name: channel.name ?? `Channel ${channel.number}`,
    type: channel.type,
    power: figures.power,
    current: figures.current,
    voltage: figures.voltage,
    pf: figures.pf,
    timestamp,
  };
}

/** The numeric fields of a reading by dotted name, for the deadband comparison. */
export function readingFields(reading: Reading): FieldValues {
  const fields: FieldValues = {};
  for (const [channel, f] of Object.entries(reading.cts)) {
    if (!f) continue;
    for (const [name, value] of Object.entries(f)) fields[`cts.${channel}.${name}`] = value;
  }
  for (const group of ['production', 'home-consumption', 'net'] as const) {
    for (const [name, value] of Object.entries(reading[group])) fields[`${group}.${name}`] = value;
  }
  fields.voltage = reading.voltage;
  fields.frequency = reading.frequency;
  return fields;
}
