import { ChannelKey } from '@wattbus/shared/contract/primitives.js';
/** The reading and energy figures a unit shows, read from the latest reading and energy counters. */
export type Source =
  | { kind: 'kwh'; power: PowerSource; energy: EnergySource }
  | { kind: 'voltage'; channel: ChannelRef }
  | { kind: 'current'; channel: ChannelRef }
  | { kind: 'power_factor'; channel: ChannelRef }
  | { kind: 'frequency' };

/** A channel of the reading: a CT ("1".."6") or an aggregate, or the site voltage. */
export type ChannelRef =
  | { ct: ChannelKey }
  | { aggregate: 'home-consumption' | 'production' | 'net' }
  | { site: true };

/** Power shown in a kWh unit: the channel's signed power, or only its import or export part. */
export interface PowerSource {
  channel: ChannelRef;
  part: 'signed' | 'import' | 'export';
}

/** Where a kWh unit's counter comes from in `<base>/energy`. */
export interface EnergySource {
  counter: { ct: ChannelKey } | { aggregate: 'home' | 'production' | 'net' };
  direction: 'import_wh' | 'export_wh';
}

export interface PlannedUnit {
  deviceId: string;
  unit: number;
  name: string;
  typeName: 'kWh' | 'Voltage' | 'Current (Single)' | 'Percentage' | 'Custom';
  options?: Record<string, string>;
  source: Source;
}

/** The stable unit numbers inside each device (never renumber: Home Assistant's unique ids depend on them). */
export const UNIT = {
  energy: 1,
  voltage: 2,
  current: 3,
  powerFactor: 4,
  exportEnergy: 5,
  frequency: 6,
} as const;

export interface ChannelNames {
  /** Enabled CT channels, by number, with their `[current_transformers.channel_N] name`. */
  cts: readonly { number: number; name: string }[];
  home: string;
  production: string;
  net: string;
  grid: string;
}

/**
 * The units power_devices keeps, one Device per channel:
 * - each enabled CT (`ct<N>`): energy (kWh: power and imported energy), voltage, current and power factor;
 * - home consumption (`home`): energy and current;
 * - production (`production`): energy, current and power factor;
 * - net (`net`): grid import and grid export as two kWh units (power and energy each), and current;
 * - the grid (`grid`): the voltage, and the frequency when the sampler measures it.
 * Units carry the channel names of config.toml.
 */
export function planUnits(names: ChannelNames, options: { frequency: boolean }): PlannedUnit[] {
  const units: PlannedUnit[] = [];
  for (const ct of names.cts) {
    const channel = { ct: ChannelKey.parse(String(ct.number)) };
    const deviceId = `ct${ct.number}`;
    units.push(
      kwhUnit(
        deviceId,
        UNIT.energy,
        ct.name,
        { channel, part: 'signed' },
        { counter: channel, direction: 'import_wh' },
      ),
      measureUnit(deviceId, 'voltage', `${ct.name} voltage`, channel),
      measureUnit(deviceId, 'current', `${ct.name} current`, channel),
      measureUnit(deviceId, 'power_factor', `${ct.name} power factor`, channel),
    );
  }
  const home = { aggregate: 'home-consumption' } as const;
  const production = { aggregate: 'production' } as const;
  const net = { aggregate: 'net' } as const;
  units.push(
    kwhUnit(
      'home',
      UNIT.energy,
      names.home,
      { channel: home, part: 'signed' },
      { counter: { aggregate: 'home' }, direction: 'import_wh' },
    ),
    measureUnit('home', 'current', `${names.home} current`, home),
    kwhUnit(
      'production',
      UNIT.energy,
      names.production,
      { channel: production, part: 'signed' },
      { counter: { aggregate: 'production' }, direction: 'import_wh' },
    ),
    measureUnit('production', 'current', `${names.production} current`, production),
    measureUnit('production', 'power_factor', `${names.production} power factor`, production),
    kwhUnit(
      'net',
      UNIT.energy,
      `${names.net} grid import`,
      { channel: net, part: 'import' },
      { counter: net, direction: 'import_wh' },
    ),
    kwhUnit(
      'net',
      UNIT.exportEnergy,
      `${names.net} grid export`,
      { channel: net, part: 'export' },
      { counter: net, direction: 'export_wh' },
    ),
    measureUnit('net', 'current', `${names.net} current`, net),
    measureUnit('grid', 'voltage', `${names.grid} voltage`, { site: true }),
  );
  if (options.frequency) units.push(frequencyUnit(names.grid));
  return units;
}

/** A kWh unit: the power of a channel (or its import/export part) and an energy counter. */
function kwhUnit(
  deviceId: string,
  unit: number,
  name: string,
  power: PowerSource,
  energy: EnergySource,
): PlannedUnit {
  return { deviceId, unit, name, typeName: 'kWh', source: { kind: 'kwh', power, energy } };
}

/** How each instantaneous figure of a channel is shown: its unit number and Domoticz type. */
const MEASURES = {
  voltage: { unit: UNIT.voltage, typeName: 'Voltage' },
  current: { unit: UNIT.current, typeName: 'Current (Single)' },
  power_factor: { unit: UNIT.powerFactor, typeName: 'Percentage' },
} as const;

/** A voltage, current or power factor unit of a channel. */
function measureUnit(
  deviceId: string,
  kind: keyof typeof MEASURES,
  name: string,
  channel: ChannelRef,
): PlannedUnit {
  const { unit, typeName } = MEASURES[kind];
  return { deviceId, unit, name, typeName, source: { kind, channel } };
}

/** The grid frequency, a Custom sensor in Hz, for samplers that measure it. */
export function frequencyUnit(gridName: string): PlannedUnit {
  return {
    deviceId: 'grid',
    unit: UNIT.frequency,
    name: `${gridName} frequency`,
    typeName: 'Custom',
    options: { Custom: '1;Hz' },
    source: { kind: 'frequency' },
  };
}
