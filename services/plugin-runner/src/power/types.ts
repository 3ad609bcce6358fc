import type { Energy, Logger, PluginSection, Reading } from '@wattbus/shared';
import type { StopFlag } from './stop-flag.js';

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The latest reading (power-calculation.md section 4 plus `timestamp` and `frequency`), live and read-only. */
export type LiveReading = DeepReadonly<Reading>;
/** The latest energy counters (`<base>/energy`), live and read-only. */
export type LiveEnergy = DeepReadonly<Energy>;

/** A plugin's `[plugins.<id>]` block: `enabled`, the runner's keys and the plugin's own keys. */
export type PluginConfig = DeepReadonly<PluginSection & Record<string, unknown>>;

export type Unsubscribe = () => void;

/** What the runner gives a power-monitor-style plugin beyond the reference's four arguments. */
export interface PowerPluginExtras {
  /** The instance id: the name of the plugin's `[plugins.<id>]` block. */
  readonly pluginId: string;
  /** The cumulative energy counters (Wh), live and read-only, like `data`. */
  readonly energy: LiveEnergy;
  /** Calls `listener` after every new reading (after `data` has been updated). */
  onReading(listener: (data: LiveReading) => void | Promise<void>): Unsubscribe;
  /** Calls `listener` after every new energy update. */
  onEnergy(listener: (energy: LiveEnergy) => void | Promise<void>): Unsubscribe;
}

/** `start_plugin(data, stop_flag, config, logger)`: the plugin's main body. */
export type StartPlugin = (
  data: LiveReading,
  stopFlag: StopFlag,
  config: PluginConfig,
  logger: Logger,
  extras: PowerPluginExtras,
) => void | Promise<void>;

/** `stop_plugin()`: cleanup, called when the runner stops the plugin. */
export type StopPlugin = () => void | Promise<void>;

/** The exports of a power-monitor-style plugin's main file. */
export interface PowerPlugin {
  startPlugin: StartPlugin;
  stopPlugin: StopPlugin;
}
