import { z } from 'zod';
import { LogLevel, Seconds } from './common.js';

const SecondsUpTo = (max: number) => Seconds.max(max, `must be at most ${max} seconds`);

/**
 * `[plugins.<id>]`: `enabled` is required; the keys below belong to the plugin runner; every other key belongs to
 * the plugin and is validated by it (a Domoticz-style plugin validates its parameters against its definition).
 */
export const PluginSection = z.looseObject({
  enabled: z.boolean({ message: 'is required (true or false)' }),
  /** The plugin folder under plugins/; defaults to the block's id. */
  plugin: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'must be a plugin folder name (letters, digits and "_")')
    .optional(),
  /** The plugin's own log level; defaults to [general] log_level. */
  log_level: LogLevel.optional(),
  /** How long the plugin's stop hook may take before the runner ends the plugin process. */
  stop_timeout: SecondsUpTo(3600).default(30),
  /** How often the runner checks that the plugin process answers. */
  watchdog_interval: SecondsUpTo(3600).min(0.05, 'must be at least 0.05 seconds').default(5),
  /**
   * A plugin whose event loop does not answer, or that stays inside one callback, for longer than this is
   * reported (`plugin_blocked`) and restarted. 0 turns the check off.
   */
  callback_timeout: SecondsUpTo(86_400).default(60),
  /** The first restart after a crash waits this long; each further crash doubles the wait. */
  restart_delay: SecondsUpTo(3600).min(0.01, 'must be at least 0.01 seconds').default(1),
  /** The longest wait between restarts. */
  restart_max_delay: SecondsUpTo(86_400).default(300),
  /** After running this long without a crash, the restart delay starts again from restart_delay. */
  restart_reset_after: SecondsUpTo(86_400).default(60),
  /**
   * Node.js options of the plugin process. The default keeps an idle plugin small (no optimising or baseline
   * compiler, a small young generation, a heap compacted at every full collection); a plugin that computes a lot
   * may want "" (Node's defaults) or its own, e.g.
   * "--max-old-space-size=256".
   */
  node_options: z
    .string()
    .refine(
      (options) => options.split(/\s+/).every((option) => option === '' || option.startsWith('--')),
      'must be Node.js options separated by spaces, each starting with "--"',
    )
    .default('--max-semi-space-size=1 --no-opt --no-sparkplug --compact-on-every-full-gc'),
});
export type PluginSection = z.infer<typeof PluginSection>;
