import { z } from 'zod';
import { deviceIdLength, isWellFormedText, MAX_DEVICE_ID_LENGTH } from './device-id.js';

/** A plugin instance id: the name of its `[plugins.<id>]` block, also used as one topic level. */
export const PluginId = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "_" and "-"')
  .max(64, 'must be at most 64 characters');

export const ChannelNumber = z.number().int().min(1).max(6);
/** JSON object keys for CT channels are strings "1".."6", as in the reference's data dictionary. */
export const ChannelKey = z.enum(['1', '2', '3', '4', '5', '6']);
export type ChannelKey = z.infer<typeof ChannelKey>;
export const ChannelType = z.enum(['mains', 'production', 'consumption']);

export const UnitNumber = z
  .number()
  .int('must be an integer')
  .min(1, 'must be between 1 and 255')
  .max(255, 'must be between 1 and 255');

export const DeviceId = z
  .string()
  .refine((id) => deviceIdLength(id) <= MAX_DEVICE_ID_LENGTH, {
    message: `must be at most ${MAX_DEVICE_ID_LENGTH} characters`,
  })
  .refine(isWellFormedText, { message: 'must be valid Unicode (no lone surrogates)' });

export const IsoTimestamp = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' });

export const Transaction = z.union([z.string().max(128), z.number().int()]);

export const ServiceState = z.enum(['online', 'offline']);
export type ServiceState = z.infer<typeof ServiceState>;
