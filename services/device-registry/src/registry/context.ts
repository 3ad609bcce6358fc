import type { BridgeEventType, PluginEvent } from '@wattbus/shared';
import type { AfterCommit } from '../store/group-commit.js';
import type { Unit } from '../store/model.js';
import type { RegistryStore } from '../store/registry-store.js';

/** Where a change came from: plugins are told of changes only when they did not make them (Domoticz's rule). */
export type Origin = 'plugin' | 'bridge' | 'http';

/** Everything the registry sends out after a commit. One implementation publishes over MQTT; tests record. */
export interface Outputs {
  /** The unit's retained state changed; `definition` when its name, type, options or Used flag changed too. */
  unitChanged(unit: Unit, definition: boolean): void;
  /** The unit is gone: clear its retained state and discovery. */
  unitRemoved(unit: Unit): void;
  /** Hardware, devices or units were added, removed or redefined: `<base>/bridge/devices` is due. */
  devicesChanged(): void;
  settingsChanged(): void;
  pluginEvent(hardware: string, event: PluginEvent): void;
  bridgeEvent(type: BridgeEventType, data: Record<string, unknown>): void;
}

export interface RegistryTiming {
  /** Automatic meter history at most this often; 0 = off. */
  historyIntervalMs: number;
  /** Calculated-energy integration skips gaps longer than this. */
  maxGapMs: number;
}

export interface RegistryContext {
  store: RegistryStore;
  outputs: Outputs;
  timing: RegistryTiming;
  now(): number;
}

export interface OperationScope {
  context: RegistryContext;
  afterCommit: AfterCommit;
  origin: Origin;
}
