import type { Color } from '@wattbus/shared';
import { applyDeviceRecord } from './device-table.js';
import { Dictionary, unitKey } from './dictionary.js';
import { deviceInternals } from './internals.js';
import { activeRuntime } from './runtime.js';
import type { Unit } from './unit.js';
import { checkDeviceId } from './unit-base.js';

/**
 * DomoticzEx's Device: the Units that share one DeviceID. The runner creates Devices when it loads the plugin's
 * units and when a unit with a new DeviceID is created. Subclass it and pass the subclass to
 * `domoticz.register({ device })` to receive Device-level callbacks.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below declares optional callbacks that subclasses define; this class never implements them
export class Device {
  readonly deviceId: string;
  readonly #units = new Dictionary<number, Unit>(
    'units',
    unitKey,
    'create units with new Unit(...).create() and remove them with unit.delete()',
  );
  #timedOut = false;

  constructor(deviceId: string) {
    this.deviceId = checkDeviceId('new Device()', deviceId);
  }

  /** The units of this device, keyed by unit number. */
  get units(): Readonly<Record<number, Unit>> {
    return this.#units.view;
  }

  /** The device's TimedOut flag. Setting it writes it to the registry (await `setTimedOut` to confirm). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  set timedOut(value: boolean) {
    this.setTimedOut(value).catch(() => {
      // Already logged by setTimedOut; a property assignment has nobody to reject to.
    });
  }

  async setTimedOut(value: boolean): Promise<void> {
    const runtime = activeRuntime('Device.timedOut');
    this.#timedOut = value;
    try {
      const { device } = await runtime.request('device/timedout', {
        deviceId: this.deviceId,
        timedOut: value,
      });
      this.#timedOut = device.timedOut;
    } catch (error) {
      runtime.reportOperationError(`Device ${JSON.stringify(this.deviceId)}: set timedOut`, error, {
        deviceId: this.deviceId,
      });
      throw error;
    }
  }

  /** Domoticz's Refresh(): reloads the device and its units from the registry. */
  async refresh(): Promise<void> {
    const runtime = activeRuntime('Device.refresh()');
    try {
      const { device } = await runtime.request('device/refresh', { deviceId: this.deviceId });
      applyDeviceRecord(
        runtime,
        device ?? {
          hardware: runtime.pluginId,
          deviceId: this.deviceId,
          timedOut: this.#timedOut,
          units: [],
        },
        true,
      );
    } catch (error) {
      runtime.reportOperationError(`Device ${JSON.stringify(this.deviceId)}: refresh`, error, {
        deviceId: this.deviceId,
      });
      throw error;
    }
  }

  toString(): string {
    return `DeviceID: '${this.deviceId}', Units: ${this.#units.map.size}`;
  }

  /** Runner access to the units map and flag; not part of the plugin API. */
  get [deviceInternals](): { units: Map<number, Unit>; setTimedOutLocally(value: boolean): void } {
    return {
      units: this.#units.map,
      setTimedOutLocally: (value) => {
        this.#timedOut = value;
      },
    };
  }
}

/** Callbacks a registered Device subclass may define; they take precedence over the module's. */
export interface Device {
  onCommand?(unit: number, command: string, level: number, color: Color | null): unknown;
  onDeviceAdded?(unit: number): unknown;
  onDeviceModified?(unit: number): unknown;
  onDeviceRemoved?(unit: number): unknown;
  onSecurityEvent?(unit: number | undefined, level: number, description: string): unknown;
}
