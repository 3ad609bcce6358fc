import { activeRuntime, currentRuntime, type DomoticzRuntime } from './runtime.js';
import { checkDeviceId, checkSettings, checkUnitNumber, UnitBase, type UnitSettings } from './unit-base.js';

/** The settings of `new LegacyDevice({...})`: the legacy framework's `Device(Name, Unit, TypeName, ...)`. */
export interface LegacyDeviceInit extends UnitSettings {
  unit: number;
  /** Defaults to `000H000U`: the HardwareID and the Unit as 4-digit upper-case hex. */
  deviceId?: string;
}

type PositionalLegacyArgs = [
  name: string,
  unit: number,
  /** A TypeName, or (as some of Domoticz's own examples do) a Type number. */
  typeName?: string | number,
  type?: number,
  subtype?: number,
  switchtype?: number,
  image?: number,
  options?: Record<string, string>,
  used?: boolean | 0 | 1,
  deviceId?: string,
  description?: string,
];

/** The optional arguments of the legacy `Update(nValue, sValue, ...)`. */
export interface LegacyUpdateOptions {
  image?: number;
  /** Default 12, as in Domoticz. */
  signalLevel?: number;
  /** Default 255 (no battery), as in Domoticz. */
  batteryLevel?: number;
  /** Replaces the Options; when absent the stored Options are kept. */
  options?: Record<string, string>;
  /** Default false: an Update clears TimedOut, as in Domoticz. */
  timedOut?: boolean | 0 | 1;
  name?: string;
  typeName?: string;
  type?: number;
  subtype?: number;
  switchtype?: number;
  used?: boolean | 0 | 1;
  description?: string;
  color?: string;
  /** No notifications or triggers, and nValue/sValue are not written (they return to the stored values). */
  suppressTriggers?: boolean;
}

/** Domoticz's default legacy DeviceID: HardwareID and Unit as 4-digit upper-case hex (`000H000U`). */
export function defaultDeviceId(hardwareId: number, unit: number): string {
  const hex = (value: number) => value.toString(16).toUpperCase().padStart(4, '0');
  return `${hex(hardwareId)}${hex(unit)}`;
}

function legacyInit(args: [LegacyDeviceInit] | PositionalLegacyArgs): LegacyDeviceInit {
  if (typeof args[0] === 'object' && args[0] !== null) return args[0];
  const [name, unit, typeName, type, subtype, switchtype, image, options, used, deviceId, description] =
    args as PositionalLegacyArgs;
  const init: LegacyDeviceInit = {
    name,
    unit,
    subtype,
    switchtype,
    image,
    options,
    used,
    deviceId,
    description,
  };
  if (typeof typeName === 'number') init.type = typeName;
  else {
    if (typeName) init.typeName = typeName;
    if (type !== undefined) init.type = type;
  }
  return init;
}

/**
 * The legacy framework's Device (`import Domoticz`): one layer, `legacyDevices[unit]`, values passed to
 * `update(nValue, sValue, ...)`. Callbacks cannot be overridden per device, as in Domoticz.
 */
export class LegacyDevice extends UnitBase {
  readonly #deviceId: string | undefined;
  /** Non-zero shows a red header in Domoticz; written by `update(..., { timedOut })`. */
  timedOut = false;

  constructor(init: LegacyDeviceInit);
  constructor(...args: PositionalLegacyArgs);
  constructor(...args: [LegacyDeviceInit] | PositionalLegacyArgs) {
    const init = legacyInit(args);
    const { unit, deviceId, ...rest } = init;
    const settings = checkSettings(
      'new LegacyDevice()',
      Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
    );
    super(checkUnitNumber('new LegacyDevice()', unit), settings);
    this.#deviceId =
      deviceId === undefined || deviceId === '' ? undefined : checkDeviceId('new LegacyDevice()', deviceId);
  }

  get deviceId(): string {
    return (
      this.#deviceId ??
      this.confirmed?.deviceId ??
      defaultDeviceId(currentRuntime()?.hardwareId ?? 0, this.unit)
    );
  }

  protected get kind(): string {
    return 'LegacyDevice';
  }

  /**
   * The legacy `Update(nValue, sValue, ...)`: nValue and sValue are required; signalLevel, batteryLevel and
   * timedOut return to their defaults (12, 255, false) unless given. Resolves to whether nValue or sValue changed.
   */
  update(nValue: number, sValue: string, options: LegacyUpdateOptions = {}): Promise<boolean> {
    if (!Number.isInteger(nValue))
      throw new TypeError(`LegacyDevice.update(): nValue must be an integer, got ${String(nValue)}`);
    if (typeof sValue !== 'string')
      throw new TypeError(`LegacyDevice.update(): sValue must be a string, got ${typeof sValue}`);
    const runtime = activeRuntime('LegacyDevice.update()');
    this.nValue = nValue;
    this.sValue = sValue;
    this.signalLevel = options.signalLevel ?? 12;
    this.batteryLevel = options.batteryLevel ?? 255;
    this.timedOut = options.timedOut === true || options.timedOut === 1;
    if (options.image !== undefined) this.image = options.image;
    if (options.options !== undefined) this.options = { ...options.options };
    if (options.name !== undefined) this.name = options.name;
    if (options.type !== undefined) this.type = options.type;
    if (options.subtype !== undefined) this.subtype = options.subtype;
    if (options.switchtype !== undefined) this.switchtype = options.switchtype;
    if (options.used !== undefined) this.used = options.used === true || options.used === 1;
    if (options.description !== undefined) this.description = options.description;
    if (options.color !== undefined) this.color = options.color;
    return this.sendUpdate(runtime, {
      typeName: options.typeName,
      suppressTriggers: options.suppressTriggers,
      timedOut: this.timedOut,
    });
  }

  protected createKey(): { deviceId?: string; unit: number } {
    return this.#deviceId === undefined ? { unit: this.unit } : { deviceId: this.#deviceId, unit: this.unit };
  }

  protected attach(runtime: DomoticzRuntime): void {
    runtime.legacyDevices.map.set(this.unit, this);
  }

  protected detach(runtime: DomoticzRuntime): void {
    if (runtime.legacyDevices.map.get(this.unit) === this) runtime.legacyDevices.map.delete(this.unit);
  }

  override toString(): string {
    return `${super.toString()}, DeviceID: '${this.deviceId}'`;
  }
}
