import type { Color } from '@wattbus/shared';
import type { LiveEnergy, LiveReading } from '../power/types.js';
import type { PluginDefinition } from './definition.js';

type Result = unknown;

/** Callbacks every Domoticz-style plugin may export; define only those you use. */
interface CommonCallbacks {
  onStart?(): Result;
  onStop?(): Result;
  onHeartbeat?(): Result;
  onNotification?(
    name: string,
    subject: string,
    text: string,
    status: string,
    priority: number,
    sound: string,
    imageFile: string,
  ): Result;
  /** wattbus extra: each new reading (coalesced: a slow plugin gets the newest, not a backlog). */
  onReading?(reading: LiveReading): Result;
  /** wattbus extra: each energy update. */
  onEnergy?(energy: LiveEnergy): Result;
}

/** Module-level callbacks of an extended (DomoticzEx) plugin: DeviceID first. */
export interface ExtendedCallbacks extends CommonCallbacks {
  onCommand?(deviceId: string, unit: number, command: string, level: number, color: Color | null): Result;
  onDeviceAdded?(deviceId: string, unit: number): Result;
  onDeviceModified?(deviceId: string, unit: number): Result;
  onDeviceRemoved?(deviceId: string, unit: number): Result;
  onSecurityEvent?(
    deviceId: string | undefined,
    unit: number | undefined,
    level: number,
    description: string,
  ): Result;
}

/** Module-level callbacks of a legacy (Domoticz) plugin: Unit first. */
export interface LegacyCallbacks extends CommonCallbacks {
  onCommand?(unit: number, command: string, level: number, color: Color | null): Result;
  onDeviceAdded?(unit: number): Result;
  onDeviceModified?(unit: number): Result;
  onDeviceRemoved?(unit: number): Result;
  onSecurityEvent?(unit: number | undefined, level: number, description: string): Result;
}

/**
 * The shape of a Domoticz-style plugin module, for `satisfies` checks:
 * `export const plugin = { definition, onStart, ... } satisfies DomoticzPlugin` (or export the members one by one).
 */
export type DomoticzPlugin = { definition: PluginDefinition } & (ExtendedCallbacks | LegacyCallbacks);
