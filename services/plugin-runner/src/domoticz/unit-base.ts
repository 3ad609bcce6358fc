import type { UnitFields, UnitRecord } from '@wattbus/shared';
import { describeZodError } from '@wattbus/shared/contract/payload.js';
import { DeviceId } from '@wattbus/shared/contract/primitives.js';
import { z } from 'zod';
import { unitInternals } from './internals.js';
import { activeRuntime, type DomoticzRuntime } from './runtime.js';

/** The fields a plugin reads and writes on a Unit (and a legacy Device), in the contract's spelling. */
export const UNIT_FIELDS = [
  'name',
  'type',
  'subtype',
  'switchtype',
  'nValue',
  'sValue',
  'options',
  'batteryLevel',
  'signalLevel',
  'image',
  'used',
  'description',
  'color',
  'lastLevel',
] as const;
export type UnitFieldName = (typeof UNIT_FIELDS)[number];
export type UnitFieldValues = Pick<UnitFields, UnitFieldName>;

type CreateFields = Partial<UnitFieldValues> & { name: string; typeName?: string };

/** Settings shared by the Unit and legacy Device constructors. */
export interface UnitSettings {
  name: string;
  /** A name from the type catalogue (`kWh`, `Switch`, `Temperature`, ...); sets type, subtype and switchtype. */
  typeName?: string;
  type?: number;
  subtype?: number;
  switchtype?: number;
  image?: number;
  /** Domoticz Options: string keys and string values. */
  options?: Record<string, string>;
  /** Shown on the dashboards (Domoticz's Used = 1). */
  used?: boolean | 0 | 1;
  description?: string;
}

const Byte = z.number().int().min(0).max(255);

export const UnitSettingsSchema = z.object({
  name: z.string().min(1, 'must not be empty').max(100),
  typeName: z.string().min(1).max(64).optional(),
  type: Byte.optional(),
  subtype: Byte.optional(),
  switchtype: Byte.optional(),
  image: z.number().int().min(0).optional(),
  options: z.record(z.string(), z.string({ message: 'Options values must be strings' })).optional(),
  used: z.union([z.boolean(), z.literal(0), z.literal(1)]).optional(),
  description: z.string().max(4096).optional(),
});

export const UnitNumberSchema = z
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be between 1 and 255')
  .max(255, 'must be between 1 and 255');

export function checkSettings(what: string, settings: unknown): UnitSettings {
  const parsed = UnitSettingsSchema.safeParse(settings);
  if (!parsed.success) throw new TypeError(`${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export function checkUnitNumber(what: string, unit: unknown): number {
  const parsed = UnitNumberSchema.safeParse(unit);
  if (!parsed.success) throw new RangeError(`${what}: unit ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export function checkDeviceId(what: string, deviceId: unknown): string {
  if (typeof deviceId !== 'string') throw new TypeError(`${what}: deviceId must be a string`);
  const parsed = DeviceId.safeParse(deviceId);
  if (!parsed.success) throw new TypeError(`${what}: deviceId ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keysA = Object.keys(a).sort();
    const keysB = Object.keys(b).sort();
    return (
      keysA.length === keysB.length &&
      keysA.every(
        (key, index) =>
          key === keysB[index] && (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key],
      )
    );
  }
  return a === b;
}

/**
 * What Unit (extended) and LegacyDevice share: the Domoticz fields, the last state the registry confirmed, and
 * the registry operations. Changes go to the registry as requests; each returned promise resolves once the
 * registry has confirmed the change (a failure is also logged, so a plugin that does not await still hears of it).
 */
export abstract class UnitBase {
  name: string;
  nValue = 0;
  sValue = '';
  signalLevel = 12;
  batteryLevel = 255;
  image = 0;
  type = 0;
  subtype = 0;
  switchtype = 0;
  used = false;
  options: Record<string, string> = {};
  /** Drives dimmer and blind sliders. */
  lastLevel = 0;
  description = '';
  /** The colour as Domoticz's colour JSON text. */
  color = '';
  #typeName: string | undefined;
  #record: UnitRecord | undefined;
  readonly #unit: number;

  protected constructor(unit: number, settings: UnitSettings) {
    this.#unit = unit;
    this.name = settings.name;
    this.#typeName = settings.typeName;
    this.type = settings.type ?? 0;
    this.subtype = settings.subtype ?? 0;
    this.switchtype = settings.switchtype ?? 0;
    this.image = settings.image ?? 0;
    this.options = { ...(settings.options ?? {}) };
    this.used = settings.used === true || settings.used === 1;
    this.description = settings.description ?? '';
  }

  /** The registry's id for this unit (Domoticz's device idx); 0 until created. */
  get id(): number {
    return this.#record?.id ?? 0;
  }

  /** The unit number, 1-255. */
  get unit(): number {
    return this.#unit;
  }

  get typeName(): string | undefined {
    return this.#record?.typeName ?? this.#typeName;
  }

  /** When the registry last changed the unit (ISO-8601); empty until created. */
  get lastUpdate(): string {
    return this.#record?.lastUpdate ?? '';
  }

  /** Set by users in the registry; read-only here and never applied by the framework. */
  get adjustment(): number {
    return this.#record?.adjustment ?? 0;
  }

  get multiplier(): number {
    return this.#record?.multiplier ?? 1;
  }

  abstract get deviceId(): string;

  /** "Unit" or "LegacyDevice", for messages. */
  protected abstract get kind(): string;

  /** Puts this object into (or takes it out of) the devices dictionary. */
  protected abstract attach(runtime: DomoticzRuntime): void;
  protected abstract detach(runtime: DomoticzRuntime): void;

  protected get where(): string {
    return `${this.kind} ${JSON.stringify(this.deviceId)}/${this.unit}`;
  }

  /** Current local values of every field. */
  protected values(): UnitFieldValues {
    const values = {} as Record<UnitFieldName, unknown>;
    for (const field of UNIT_FIELDS) values[field] = field === 'options' ? { ...this.options } : this[field];
    return values as UnitFieldValues;
  }

  /** Fields whose local value differs from what the registry last confirmed (all of them before that). */
  protected changedValues(): Partial<UnitFieldValues> {
    const values = this.values();
    if (!this.#record) return values;
    const changed: Partial<Record<UnitFieldName, unknown>> = {};
    for (const field of UNIT_FIELDS) {
      if (!sameValue(values[field], this.#record[field])) changed[field] = values[field];
    }
    return changed as Partial<UnitFieldValues>;
  }

  /**
   * Takes the registry's record as confirmed state. A field the plugin changed again since `sent` was captured
   * keeps the plugin's newer value, so a late response never undoes a local change not yet sent.
   */
  protected adopt(record: UnitRecord, sent?: UnitFieldValues): void {
    this.#record = record;
    for (const field of UNIT_FIELDS) {
      if (sent && !sameValue(this[field], sent[field])) continue;
      const value = record[field];
      (this as Record<UnitFieldName, unknown>)[field] =
        field === 'options' ? { ...(value as object) } : value;
    }
  }

  protected get confirmed(): UnitRecord | undefined {
    return this.#record;
  }

  /** Runs a registry operation; failures are logged (with the unit) and rethrown to whoever awaits. */
  protected async perform<T>(runtime: DomoticzRuntime, operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      runtime.reportOperationError(`${this.where}: ${operation}`, error, {
        deviceId: this.deviceId,
        unit: this.unit,
      });
      throw error;
    }
  }

  /** The fields to send with a create: everything the plugin set away from the defaults. */
  protected createFields(): CreateFields {
    const values = this.values();
    const fields: Partial<Record<UnitFieldName, unknown>> & { typeName?: string } = {
      name: values.name,
      used: values.used,
    };
    if (this.#typeName) fields.typeName = this.#typeName;
    else Object.assign(fields, { type: values.type, subtype: values.subtype, switchtype: values.switchtype });
    const defaults: Partial<UnitFieldValues> = {
      nValue: 0,
      sValue: '',
      signalLevel: 12,
      batteryLevel: 255,
      image: 0,
      description: '',
      color: '',
      lastLevel: 0,
    };
    for (const [field, fallback] of Object.entries(defaults) as [UnitFieldName, unknown][]) {
      if (values[field] !== fallback) fields[field] = values[field];
    }
    if (Object.keys(values.options).length > 0) fields.options = values.options;
    return fields as CreateFields;
  }

  /** Domoticz's Create(): the object enters the devices dictionary at once and stays linked to it. */
  create(): Promise<void> {
    const runtime = activeRuntime(`${this.kind}.create()`);
    const sent = this.values();
    const payload = { ...this.createKey(), ...this.createFields() };
    this.attach(runtime);
    runtime.trace(8, { deviceId: this.deviceId, unit: this.unit }, `creating ${this.where}`);
    return this.perform(runtime, 'create', async () => {
      try {
        const { unit } = await runtime.request('unit/create', payload);
        this.adopt(unit, sent);
        this.attach(runtime);
      } catch (error) {
        this.detach(runtime);
        throw error;
      }
    });
  }

  /** The key fields of a create request. */
  protected abstract createKey(): { deviceId?: string; unit: number };

  protected async sendUpdate(
    runtime: DomoticzRuntime,
    extra: { log?: boolean; typeName?: string; suppressTriggers?: boolean; timedOut?: boolean },
  ): Promise<boolean> {
    const sent = this.values();
    const changes: Record<string, unknown> = this.changedValues();
    if (extra.timedOut !== undefined) changes.timedOut = extra.timedOut;
    if (extra.typeName) {
      delete changes.type;
      delete changes.subtype;
      delete changes.switchtype;
      this.#typeName = extra.typeName;
    }
    const payload = {
      deviceId: this.deviceId,
      unit: this.unit,
      changes,
      ...(extra.log ? { log: true } : {}),
      ...(extra.typeName ? { typeName: extra.typeName } : {}),
      ...(extra.suppressTriggers ? { suppressTriggers: true } : {}),
    };
    return this.perform(runtime, 'update', async () => {
      const result = await runtime.request('unit/update', payload as never);
      // With SuppressTriggers the registry keeps nValue and sValue, and adopting its record puts them back here.
      this.adopt(result.unit, sent);
      return result.changed;
    });
  }

  /** Domoticz's Delete(): the dictionary entry goes at once; this object keeps its values. */
  delete(): Promise<void> {
    const runtime = activeRuntime(`${this.kind}.delete()`);
    this.detach(runtime);
    return this.perform(runtime, 'delete', async () => {
      await runtime.request('unit/delete', { deviceId: this.deviceId, unit: this.unit });
    });
  }

  /** Domoticz's Refresh(): reloads the values from the registry. */
  refresh(): Promise<void> {
    const runtime = activeRuntime(`${this.kind}.refresh()`);
    return this.perform(runtime, 'refresh', async () => {
      const { unit } = await runtime.request('unit/refresh', { deviceId: this.deviceId, unit: this.unit });
      if (unit) this.adopt(unit);
      else this.detach(runtime);
    });
  }

  /** Domoticz's Touch(): updates lastUpdate only; no events, no notifications. */
  touch(): Promise<void> {
    const runtime = activeRuntime(`${this.kind}.touch()`);
    return this.perform(runtime, 'touch', async () => {
      const { unit } = await runtime.request('unit/touch', { deviceId: this.deviceId, unit: this.unit });
      this.adopt(unit, this.values());
    });
  }

  /** Applies a record the registry sent (loaded at start, or changed outside the plugin). */
  [unitInternals](record: UnitRecord): void {
    this.adopt(record);
  }

  toString(): string {
    return `ID: ${this.id}, Name: '${this.name}', Unit: ${this.unit}, nValue: ${this.nValue}, sValue: '${this.sValue}'`;
  }
}
