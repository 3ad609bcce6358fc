import type { UnitOptions } from '@wattbus/shared';

export type Layout = 'extended' | 'legacy';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One plugin instance (Domoticz's Hardware row): `key` is its `[plugins.<id>]` id and topic level. */
export interface Hardware {
  /** Domoticz's HardwareID. */
  id: number;
  key: string;
  plugin: string;
  name: string;
  layout: Layout;
  settings: Record<string, string>;
  /** The plugin's persistent `Configuration()` dictionary. */
  configuration: Record<string, JsonValue>;
  notifiers: Set<string>;
  devices: Map<string, Device>;
}

/** A Device: the Units that share one DeviceID, and its TimedOut flag. */
export interface Device {
  hardwareKey: string;
  deviceId: string;
  timedOut: boolean;
  units: Map<number, Unit>;
}

/**
 * A Unit with every member of the spec. Unit objects are immutable: a change stores a new object, which keeps the
 * undo of a failed commit a matter of putting the old object back.
 */
export interface Unit {
  readonly id: number;
  readonly hardwareKey: string;
  readonly deviceId: string;
  readonly unit: number;
  readonly name: string;
  readonly typeName: string | undefined;
  readonly type: number;
  readonly subtype: number;
  readonly switchtype: number;
  readonly nValue: number;
  readonly sValue: string;
  readonly options: Readonly<UnitOptions>;
  readonly batteryLevel: number;
  readonly signalLevel: number;
  readonly image: number;
  readonly used: boolean;
  readonly description: string;
  readonly color: string;
  readonly lastLevel: number;
  /** Set in the UI in Domoticz; read-only for plugins and never applied by the framework. */
  readonly adjustment: number;
  readonly multiplier: number;
  readonly lastUpdateMs: number;
  /** When the last automatic history row was written (`history_interval`). */
  readonly lastHistoryMs: number;
}

export type NewUnit = Omit<Unit, 'id'>;

/** A key that names one unit across all hardware. */
export function unitKey(hardwareKey: string, deviceId: string, unit: number): string {
  return `${hardwareKey}\u0000${deviceId}\u0000${unit}`;
}
