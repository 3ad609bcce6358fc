import { z } from 'zod';
import { LogLevel } from './common.js';

/** `[plugins.<id>]`: `enabled` is required; other keys belong to the plugin and are validated by it. */
export const PluginSection = z.looseObject({
  enabled: z.boolean({ message: 'is required (true or false)' }),
  /** The plugin folder under plugins/; defaults to the block's id. */
  plugin: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'must be a plugin folder name (letters, digits and "_")')
    .optional(),
  log_level: LogLevel.optional(),
});
export type PluginSection = z.infer<typeof PluginSection>;
