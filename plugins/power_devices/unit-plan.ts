/** The reading and energy figures a unit shows, read from the latest reading and energy counters. */
export type Source =
  | { kind: 'kwh'; power: PowerSource; energy: EnergySource }
  | { kind: 'voltage'; channel: ChannelRef }
  | { kind: 'current'; channel: ChannelRef }
  | { kind: 'power_factor'; channel: ChannelRef }
  | { kind: 'frequency' };

/** A channel of the reading: a CT ("1".."6") or an aggregate, or the site voltage. */
export type ChannelRef =
  | { ct: string }
  | { aggregate: 'home-consumption' | 'production' | 'net' }
  | { site: true };

/** Power shown in a kWh unit: the channel's signed power, or only its import or export part. */
export interface PowerSource {
  channel: ChannelRef;
  part: 'signed' | 'import' | 'export';
}

/** Where a kWh unit's counter comes from in `<base>/energy`. */
export interface EnergySource {
  counter: { ct: string } | { aggregate: 'home' | 'production' | 'net' };
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
    const key = String(ct.number);
    const channel = { ct: key };
    const deviceId = `ct${key}`;
    units.push(
      {
        deviceId,
        unit: UNIT.energy,
        name: ct.name,
        typeName: 'kWh',
        source: {
          kind: 'kwh',
          power: { channel, part: 'signed' },
          energy: { counter: channel, direction: 'import_wh' },
        },
      },
      {
        deviceId,
        unit: UNIT.voltage,
        name: `${ct.name} voltage`,
        typeName: 'Voltage',
        source: { kind: 'voltage', channel },
      },
      {
        deviceId,
        unit: UNIT.current,
        name: `${ct.name} current`,
        typeName: 'Current (Single)',
        source: { kind: 'current', channel },
      },
      {
        deviceId,
        unit: UNIT.powerFactor,
        name: `${ct.name} power factor`,
        typeName: 'Percentage',
        source: { kind: 'power_factor', channel },
      },
    );
  }
  const home = { aggregate: 'home-consumption' } as const;
  const production = { aggregate: 'production' } as const;
  const net = { aggregate: 'net' } as const;
  units.push(
    {
      deviceId: 'home',
      unit: UNIT.energy,
      name: names.home,
      typeName: 'kWh',
      source: {
        kind: 'kwh',
        power: { channel: home, part: 'signed' },
        energy: { counter: { aggregate: 'home' }, direction: 'import_wh' },
      },
    },
    {
      deviceId: 'home',
      unit: UNIT.current,
      name: `${names.home} current`,
      typeName: 'Current (Single)',
      source: { kind: 'current', channel: home },
    },
    {
      deviceId: 'production',
      unit: UNIT.energy,
      name: names.production,
      typeName: 'kWh',
      source: {
        kind: 'kwh',
        power: { channel: production, part: 'signed' },
        energy: { counter: { aggregate: 'production' }, direction: 'import_wh' },
      },
    },
    {
      deviceId: 'production',
      unit: UNIT.current,
      name: `${names.production} current`,
      typeName: 'Current (Single)',
      source: { kind: 'current', channel: production },
    },
    {
      deviceId: 'production',
      unit: UNIT.powerFactor,
      name: `${names.production} power factor`,
      typeName: 'Percentage',
      source: { kind: 'power_factor', channel: production },
    },
    {
      deviceId: 'net',
      unit: UNIT.energy,
      name: `${names.net} grid import`,
      typeName: 'kWh',
      source: {
        kind: 'kwh',
        power: { channel: net, part: 'import' },
        energy: { counter: { aggregate: 'net' }, direction: 'import_wh' },
      },
    },
    {
      deviceId: 'net',
      unit: UNIT.exportEnergy,
      name: `${names.net} grid export`,
      typeName: 'kWh',
      source: {
        kind: 'kwh',
        power: { channel: net, part: 'export' },
        energy: { counter: { aggregate: 'net' }, direction: 'export_wh' },
      },
    },
    {
      deviceId: 'net',
      unit: UNIT.current,
      name: `${names.net} current`,
      typeName: 'Current (Single)',
      source: { kind: 'current', channel: net },
    },
    {
      deviceId: 'grid',
      unit: UNIT.voltage,
      name: `${names.grid} voltage`,
      typeName: 'Voltage',
      source: { kind: 'voltage', channel: { site: true } },
    },
  );
  if (options.frequency) units.push(frequencyUnit(names.grid));
  return units;
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
