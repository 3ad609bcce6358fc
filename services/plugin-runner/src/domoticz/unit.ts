import type { Color } from '@wattbus/shared';
import type { Device } from './device.js';
import { ensureDevice } from './device-table.js';
import { deviceInternals } from './internals.js';
import { activeRuntime, currentRuntime, type DomoticzRuntime } from './runtime.js';
import { checkDeviceId, checkSettings, checkUnitNumber, UnitBase, type UnitSettings } from './unit-base.js';

/** The settings of `new Unit({...})`: Domoticz's `Unit(Name, DeviceID, Unit, TypeName, ...)`. */
export interface UnitInit extends UnitSettings {
  deviceId: string;
  unit: number;
}

type PositionalUnitArgs = [
  name: string,
  deviceId: string,
  unit: number,
  /** A TypeName, or (as some of Domoticz's own examples do) a Type number. */
  typeName?: string | number,
  type?: number,
  subtype?: number,
  switchtype?: number,
  image?: number,
  options?: Record<string, string>,
  used?: boolean | 0 | 1,
  description?: string,
];

function unitInit(args: [UnitInit] | PositionalUnitArgs): UnitInit {
  if (typeof args[0] === 'object' && args[0] !== null) return args[0];
  const [name, deviceId, unit, typeName, type, subtype, switchtype, image, options, used, description] =
    args as PositionalUnitArgs;
  return {
    name,
    deviceId,
    unit,
    ...(typeof typeName === 'number' ? { type: typeName } : typeName ? { typeName } : {}),
    ...(type !== undefined && typeof typeName !== 'number' ? { type } : {}),
    subtype,
    switchtype,
    image,
    options,
    used,
    description,
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * DomoticzEx's Unit: one Domoticz device, `devices[deviceId].units[unit]`. Subclass it and pass the subclass to
 * `domoticz.register({ unit })` to receive the Unit-level callbacks (onCommand, onDeviceAdded, ...).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below declares optional callbacks that subclasses define; this class never implements them
export class Unit extends UnitBase {
  readonly #deviceId: string;

  constructor(init: UnitInit);
  constructor(...args: PositionalUnitArgs);
  constructor(...args: [UnitInit] | PositionalUnitArgs) {
    const init = unitInit(args);
    const settings = checkSettings(
      'new Unit()',
      withoutUndefined({ ...init, deviceId: undefined, unit: undefined }),
    );
    super(checkUnitNumber('new Unit()', init.unit), settings);
    this.#deviceId = checkDeviceId('new Unit()', init.deviceId);
  }

  get deviceId(): string {
    return this.#deviceId;
  }

  /** The Device holding this unit (while it is in the devices dictionary). */
  get parent(): Device | undefined {
    return currentRuntime()?.devices.map.get(this.#deviceId);
  }

  protected get kind(): string {
    return 'Unit';
  }

  /**
   * Domoticz's Update(Log=False, TypeName=None): writes the fields changed since the last confirmed state. `log`
   * also writes a history row; `typeName` resets type, subtype and switchtype first. Resolves to whether nValue or
   * sValue changed (only then do events and notifications fire).
   */
  update(options: { log?: boolean; typeName?: string } = {}): Promise<boolean> {
    return this.sendUpdate(activeRuntime('Unit.update()'), options);
  }

  protected createKey(): { deviceId: string; unit: number } {
    return { deviceId: this.#deviceId, unit: this.unit };
  }

  protected attach(runtime: DomoticzRuntime): void {
    ensureDevice(runtime, this.#deviceId)[deviceInternals].units.set(this.unit, this);
  }

  protected detach(runtime: DomoticzRuntime): void {
    const device = runtime.devices.map.get(this.#deviceId);
    if (!device) return;
    const units = device[deviceInternals].units;
    if (units.get(this.unit) === this) units.delete(this.unit);
    if (units.size === 0) runtime.devices.map.delete(this.#deviceId);
  }
}

/** Callbacks a registered Unit subclass may define; they take precedence over its Device's and the module's. */
export interface Unit {
  onCommand?(command: string, level: number, color: Color | null): unknown;
  onDeviceAdded?(): unknown;
  onDeviceModified?(): unknown;
  onDeviceRemoved?(): unknown;
  onSecurityEvent?(level: number, description: string): unknown;
}
