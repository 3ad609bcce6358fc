import type { Energy, Logger, PluginCommand, PluginSection, Reading } from '@wattbus/shared';
import type { Device } from '../domoticz/device.js';
import type { Unit, UnitInit } from '../domoticz/unit.js';
import type { StopFlag } from './stop-flag.js';

type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The latest reading (power-calculation.md section 4 plus `timestamp` and `frequency`), live and read-only. */
export type LiveReading = DeepReadonly<Reading>;
/** The latest energy counters (`<base>/energy`), live and read-only. */
export type LiveEnergy = DeepReadonly<Energy>;

/** A plugin's `[plugins.<id>]` block: `enabled`, the runner's keys and the plugin's own keys. */
export type PluginConfig = DeepReadonly<PluginSection & Record<string, unknown>>;

export type Unsubscribe = () => void;

/**
 * A command for one of the plugin's units, as the registry routes it: Domoticz's onCommand arguments (`On`, `Off`,
 * `Set Level` with `level`, `Set Color` with `color`; `Toggle` arrives as `On` or `Off`) and where it came from.
 */
export type UnitCommand = PluginCommand;
export type CommandListener = (command: UnitCommand) => void | Promise<void>;

/**
 * The plugin's units in the device registry, which publishes them on MQTT and announces them to Home Assistant:
 * the Domoticz API's `devices` and `Unit` (extended layout, `devices[deviceId].units[unit]`), started on demand.
 */
export interface PowerUnits {
  /**
   * Announces the plugin to the device registry and loads its units into `devices`; resolves to `devices`. Waits
   * for a registry that is not running yet (so do not hold up the plugin's own work on it). Call it before using
   * `devices` or `new Unit(...)`; later calls return the same promise.
   */
  load(): Promise<Readonly<Record<string, Device>>>;
  /**
   * The unit at `init.deviceId`/`init.unit`, created from `init` when the registry does not have it yet (an
   * existing unit keeps its stored name, type and options). Loads first.
   */
  ensure(init: UnitInit): Promise<Unit>;
}

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
  /** The plugin's units (switches, meters, sensors) in the device registry, for Home Assistant. */
  readonly units: PowerUnits;
  /**
   * Calls `listener` with each command for one of the plugin's units (from Home Assistant, the `set` topic, the
   * bridge or the HTTP API). Listeners run one at a time, in order; an exception is logged.
   */
  onCommand(listener: CommandListener): Unsubscribe;
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
