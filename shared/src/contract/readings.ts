import { z } from 'zod';
import { ChannelKey, ChannelType, IsoTimestamp } from './primitives.js';

/** One CT channel inside a reading: power-calculation.md section 4. */
export const CtFigures = z.object({
  power: z.number(),
  pf: z.number(),
  current: z.number(),
  voltage: z.number(),
});

/** `<base>/readings`: the smoothed reading of one batch, plus timestamp and (when measured) frequency. */
export const Reading = z.object({
  cts: z.partialRecord(ChannelKey, CtFigures),
  production: z.object({ power: z.number(), pf: z.number(), current: z.number() }),
  'home-consumption': z.object({ power: z.number(), current: z.number() }),
  net: z.object({ power: z.number(), current: z.number() }),
  voltage: z.number(),
  timestamp: IsoTimestamp,
  frequency: z.number().positive().optional(),
});
export type Reading = z.infer<typeof Reading>;

/**
 * The channels of a reading or energy message in ascending channel order, as the reference's outputs list them
 * (JSON objects do not promise an order).
 */
export function channelsInOrder<T>(cts: Partial<Record<ChannelKey, T>>): [string, T][] {
  return ChannelKey.options.flatMap((key): [string, T][] => {
    const figures = cts[key];
    return figures === undefined ? [] : [[key, figures]];
  });
}

/** `<base>/readings/ct/<n>`: one channel with its configured name and type. */
export const CtReading = z.object({
  name: z.string(),
  type: ChannelType,
  power: z.number(),
  current: z.number(),
  voltage: z.number(),
  pf: z.number(),
  timestamp: IsoTimestamp,
});
export type CtReading = z.infer<typeof CtReading>;

/**
 * A cumulative energy counter. `import_wh` integrates the positive part of the power, `export_wh` the magnitude of
 * the negative part: for net that is energy from and to the grid.
 */
export const EnergyCounter = z.object({
  import_wh: z.number().nonnegative(),
  export_wh: z.number().nonnegative(),
});
export type EnergyCounter = z.infer<typeof EnergyCounter>;

/** `<base>/energy`: counters that never decrease, persisted by the sampler across restarts. */
export const Energy = z.object({
  cts: z.partialRecord(ChannelKey, EnergyCounter),
  home: EnergyCounter,
  production: EnergyCounter,
  net: EnergyCounter,
  timestamp: IsoTimestamp,
});
export type Energy = z.infer<typeof Energy>;
