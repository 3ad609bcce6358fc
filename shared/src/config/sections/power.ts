import { z } from 'zod';

/** The reference's `[grid_voltage]` section (power-calculation.md section 6). */
export const GridVoltageSection = z.strictObject({
  grid_voltage: z.number().positive('must be greater than 0 volts').default(240),
  ac_transformer_output_voltage: z.number().positive('must be greater than 0 volts').default(10.2),
  voltage_calibration: z.number().positive('must be greater than 0').default(1),
  frequency: z.union([z.literal(50), z.literal(60)], { message: 'must be 50 or 60' }).default(50),
});
export type GridVoltageSection = z.infer<typeof GridVoltageSection>;

/** One `[current_transformers.channel_N]` block. Disabled channels need no block at all. */
export const ChannelSection = z.strictObject({
  name: z.string().min(1).optional(),
  rating: z
    .number({ error: 'must be a whole number of amps, e.g. 100 (not "100A")' })
    .int('must be a whole number of amps, e.g. 100 (not "100A")')
    .positive('must be greater than 0')
    .optional(),
  type: z
    .enum(['mains', 'production', 'consumption'], {
      message: 'must be "mains", "production" or "consumption"',
    })
    .default('consumption'),
  two_pole: z.boolean().default(false),
  enabled: z.boolean().default(false),
  calibration: z.number().positive('must be greater than 0').default(1),
  amps_cutoff_threshold: z.number().nonnegative('must be 0 or more amps').optional(),
  watts_cutoff_threshold: z.number().nonnegative('must be 0 or more watts').optional(),
  reversed: z.boolean().default(false),
});
export type ChannelSection = z.infer<typeof ChannelSection>;

export const CHANNEL_KEYS = [
  'channel_1',
  'channel_2',
  'channel_3',
  'channel_4',
  'channel_5',
  'channel_6',
] as const;

export const CurrentTransformersSection = z
  .strictObject({
    channel_1: ChannelSection.optional(),
    channel_2: ChannelSection.optional(),
    channel_3: ChannelSection.optional(),
    channel_4: ChannelSection.optional(),
    channel_5: ChannelSection.optional(),
    channel_6: ChannelSection.optional(),
  })
  .superRefine((channels, context) => {
    for (const key of CHANNEL_KEYS) {
      const channel = channels[key];
      if (channel?.enabled && channel.rating === undefined) {
        context.addIssue({
          code: 'custom',
          path: [key, 'rating'],
          message: 'is required for an enabled channel',
        });
      }
    }
  });

export type CurrentTransformersSection = z.infer<typeof CurrentTransformersSection>;

/** An enabled channel with its number (1-6) and its (then required) rating. */
export type EnabledChannel = ChannelSection & { number: 1 | 2 | 3 | 4 | 5 | 6; rating: number };

/** The enabled channels in ascending order. */
export function enabledChannels(channels: CurrentTransformersSection): EnabledChannel[] {
  const enabled: EnabledChannel[] = [];
  CHANNEL_KEYS.forEach((key, index) => {
    const channel = channels[key];
    if (channel?.enabled && channel.rating !== undefined) {
      enabled.push({ ...channel, rating: channel.rating, number: (index + 1) as EnabledChannel['number'] });
    }
  });
  return enabled;
}
