import type { UnitCreateRequest, UnitOptions, UnitUpdateRequest } from '@wattbus/shared';
import type { z } from 'zod';
import { findTypeName, typeNameOf } from '../catalogue/type-names.js';
import { isMeterKind, unitKind } from '../catalogue/unit-kind.js';
import { applyValues, checkNValue, checkValues } from '../catalogue/values.js';
import { RequestFailure } from '../store/group-commit.js';
import type { Hardware, NewUnit, Unit } from '../store/model.js';
import type { OperationScope } from './context.js';
import { unitRecord } from './records.js';

type CreateRequest = z.output<typeof UnitCreateRequest>;
type UpdateRequest = z.output<typeof UnitUpdateRequest>;

/** The fields a change outside the plugin may set (bridge and HTTP API). */
export type UnitPatch = Partial<Pick<Unit, 'name' | 'used' | 'options'>>;

const MAX_NAME = 100;

/** Domoticz's default DeviceID of a legacy unit: HardwareID and Unit as 4-digit upper-case hex (`000H000U`). */
export function legacyDeviceId(hardwareId: number, unit: number): string {
  const hex = (value: number) => value.toString(16).toUpperCase().padStart(4, '0');
  return `${hex(hardwareId & 0xffff)}${hex(unit)}`;
}

export function describeUnit(hardware: string, deviceId: string, unit: number): string {
  return `unit ${unit} of device ${JSON.stringify(deviceId)} on hardware ${hardware}`;
}

export function requireHardware(scope: OperationScope, key: string): Hardware {
  const hardware = scope.context.store.hardware.get(key);
  if (!hardware) {
    throw new RequestFailure(
      `hardware ${key} is unknown: a plugin must send hardware/announce before anything else`,
      'not_found',
    );
  }
  return hardware;
}

export function requireUnit(hardware: Hardware, deviceId: string, unit: number): Unit {
  const found = hardware.devices.get(deviceId)?.units.get(unit);
  if (!found)
    throw new RequestFailure(`${describeUnit(hardware.key, deviceId, unit)} does not exist`, 'not_found');
  return found;
}

interface TypeChoice {
  type: number;
  subtype: number;
  switchtype: number;
  defaults: UnitOptions;
}

/**
 * TypeName sets Type, SubType and SwitchType; raw numbers are used only without one. An explicit Switchtype
 * still applies with a TypeName, which is how plugins make a gas or water counter from "Counter Incremental".
 */
function chooseType(
  typeName: string | undefined,
  raw: { type?: number; subtype?: number; switchtype?: number },
  current?: Unit,
): TypeChoice {
  if (typeName !== undefined) {
    const entry = findTypeName(typeName);
    if (!entry) {
      throw new RequestFailure(
        `typeName ${JSON.stringify(typeName)} is not in the TypeName catalogue (e.g. "Switch", "kWh", "Temperature"; docs/registry.md lists them all); or send raw type/subtype/switchtype`,
      );
    }
    return {
      type: entry.type,
      subtype: entry.subtype,
      switchtype: raw.switchtype ?? entry.switchtype,
      defaults: entry.options ?? {},
    };
  }
  if (current) {
    return {
      type: raw.type ?? current.type,
      subtype: raw.subtype ?? current.subtype,
      switchtype: raw.switchtype ?? current.switchtype,
      defaults: {},
    };
  }
  if (raw.type === undefined) throw new RequestFailure('either typeName or type is required');
  return { type: raw.type, subtype: raw.subtype ?? 0, switchtype: raw.switchtype ?? 0, defaults: {} };
}

function checkLegacyNumber(hardware: Hardware, unit: number): void {
  if (hardware.layout !== 'legacy') return;
  for (const device of hardware.devices.values()) {
    if (device.units.has(unit)) {
      throw new RequestFailure(
        `unit ${unit} already exists on legacy hardware ${hardware.key} (device ${JSON.stringify(device.deviceId)}); legacy unit numbers are unique per hardware`,
        'conflict',
      );
    }
  }
}

function initialName(scope: OperationScope, hardware: Hardware, name: string): string {
  // Domoticz appends a plugin's unit name to the hardware name; names set from outside are taken as given.
  const full = scope.origin === 'plugin' ? `${hardware.name} - ${name}` : name;
  return [...full].slice(0, MAX_NAME).join('');
}

export function createUnit(scope: OperationScope, hardware: Hardware, request: CreateRequest): Unit {
  const { context } = scope;
  let deviceId = request.deviceId;
  if (deviceId === undefined) {
    if (hardware.layout !== 'legacy') {
      throw new RequestFailure('deviceId is required (only legacy plugins may leave it out)');
    }
    deviceId = legacyDeviceId(hardware.id, request.unit);
  }
  if (hardware.devices.get(deviceId)?.units.has(request.unit)) {
    throw new RequestFailure(
      `${describeUnit(hardware.key, deviceId, request.unit)} already exists`,
      'conflict',
    );
  }
  checkLegacyNumber(hardware, request.unit);
  const choice = chooseType(request.typeName, request);
  const kind = unitKind(choice.type, choice.subtype, choice.switchtype);
  const options = { ...choice.defaults, ...request.options };
  const now = context.now();
  const values = applyValues(
    { kind, options, previous: undefined, now, maxGapMs: context.timing.maxGapMs },
    { nValue: request.nValue ?? 0, sValue: request.sValue ?? '' },
  );
  if (!values.ok) throw new RequestFailure(values.error);

  const fresh: NewUnit = {
    hardwareKey: hardware.key,
    deviceId,
    unit: request.unit,
    name: initialName(scope, hardware, request.name),
    typeName: typeNameOf(choice.type, choice.subtype, choice.switchtype),
    type: choice.type,
    subtype: choice.subtype,
    switchtype: choice.switchtype,
    nValue: values.nValue,
    sValue: values.sValue,
    options,
    batteryLevel: request.batteryLevel ?? 255,
    signalLevel: request.signalLevel ?? 12,
    image: request.image ?? 0,
    used: request.used ?? false,
    description: request.description ?? '',
    color: request.color ?? '',
    lastLevel: request.lastLevel ?? 0,
    adjustment: 0,
    multiplier: 1,
    lastUpdateMs: now,
    lastHistoryMs: 0,
  };
  const newDevice = !hardware.devices.has(deviceId);
  const unit = context.store.insertUnit(hardware, fresh);

  scope.afterCommit(() => {
    const { outputs } = context;
    outputs.unitChanged(unit, true);
    outputs.devicesChanged();
    if (newDevice) outputs.bridgeEvent('device_added', { hardware: hardware.key, deviceId: unit.deviceId });
    outputs.bridgeEvent('unit_added', {
      ...address(unit),
      typeName: unit.typeName ?? null,
      origin: scope.origin,
    });
    tellPlugin(scope, hardware, 'device_added', unit);
  });
  return unit;
}

function sameOptions(a: Readonly<UnitOptions>, b: Readonly<UnitOptions>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function definitionChanged(before: Unit, after: Unit): boolean {
  return (
    before.name !== after.name ||
    before.type !== after.type ||
    before.subtype !== after.subtype ||
    before.switchtype !== after.switchtype ||
    before.used !== after.used ||
    !sameOptions(before.options, after.options)
  );
}

/** A plugin's Update(): validated as a whole before anything is stored. */
export function updateUnit(
  scope: OperationScope,
  hardware: Hardware,
  request: UpdateRequest,
): { unit: Unit; changed: boolean } {
  const { context } = scope;
  const current = requireUnit(hardware, request.deviceId, request.unit);
  const device = hardware.devices.get(request.deviceId)!;
  const changes = request.changes;
  const choice = chooseType(request.typeName, changes, current);
  const kind = unitKind(choice.type, choice.subtype, choice.switchtype);
  // The same options object is kept unless something changes it, so the store can skip re-encoding it.
  let options: Readonly<UnitOptions> = changes.options ?? current.options;
  const missingDefaults = Object.entries(choice.defaults).filter(([key]) => options[key] === undefined);
  if (missingDefaults.length > 0) options = { ...options, ...Object.fromEntries(missingDefaults) };
  const typeChanged =
    choice.type !== current.type ||
    choice.subtype !== current.subtype ||
    choice.switchtype !== current.switchtype;
  const now = context.now();

  let nValue = current.nValue;
  let sValue = current.sValue;
  let dated: { timestamp: string; nValue: number; sValue: string } | undefined;
  if (!request.suppressTriggers && changes.sValue !== undefined) {
    const outcome = applyValues(
      { kind, options, previous: current, now, maxGapMs: context.timing.maxGapMs },
      { nValue: changes.nValue ?? current.nValue, sValue: changes.sValue },
    );
    if (!outcome.ok) throw new RequestFailure(outcome.error);
    if (outcome.historyOnly) dated = outcome.history;
    else ({ nValue, sValue } = outcome);
  } else if (!request.suppressTriggers && changes.nValue !== undefined) {
    const error = checkNValue(kind, changes.nValue);
    if (error) throw new RequestFailure(error);
    nValue = changes.nValue;
  }
  if (typeChanged && !dated) {
    const error = checkValues(kind, options, nValue, sValue);
    if (error) throw new RequestFailure(`${error} (for the new type; send an sValue that fits it)`);
  }

  const valuesChanged = nValue !== current.nValue || sValue !== current.sValue;
  // A dated history value on its own leaves the unit as it was: Domoticz keeps the dashboard values.
  const touches =
    !dated || valuesChanged || Object.keys(changes).some((key) => key !== 'sValue' && key !== 'nValue');
  const meterHistoryDue =
    valuesChanged &&
    isMeterKind(kind) &&
    context.timing.historyIntervalMs > 0 &&
    options.DisableLogAutoUpdate?.trim().toLowerCase() !== 'true' &&
    now - current.lastHistoryMs >= context.timing.historyIntervalMs;

  // Every update of every reading builds this object: a complete literal (rather than a spread of `current` then
  // overwritten) is one allocation with a fixed shape, which the readers of units (records, state) stay fast on.
  const next: Unit = {
    id: current.id,
    hardwareKey: current.hardwareKey,
    deviceId: current.deviceId,
    unit: current.unit,
    name: changes.name ?? current.name,
    typeName: typeChanged ? typeNameOf(choice.type, choice.subtype, choice.switchtype) : current.typeName,
    type: choice.type,
    subtype: choice.subtype,
    switchtype: choice.switchtype,
    nValue,
    sValue,
    options,
    batteryLevel: changes.batteryLevel ?? current.batteryLevel,
    signalLevel: changes.signalLevel ?? current.signalLevel,
    image: changes.image ?? current.image,
    used: changes.used ?? current.used,
    description: changes.description ?? current.description,
    color: changes.color ?? current.color,
    lastLevel: changes.lastLevel ?? current.lastLevel,
    adjustment: current.adjustment,
    multiplier: current.multiplier,
    lastUpdateMs: touches ? now : current.lastUpdateMs,
    lastHistoryMs: meterHistoryDue ? now : current.lastHistoryMs,
  };

  const { store } = context;
  const unit = touches ? store.replaceUnit(current, next) : current;
  const timedOutChanged = changes.timedOut !== undefined && changes.timedOut !== device.timedOut;
  if (timedOutChanged) store.setTimedOut(hardware, device, changes.timedOut!);
  if (dated) store.insertHistory(unit, Date.parse(dated.timestamp), dated.nValue, dated.sValue);
  if (request.log || meterHistoryDue) store.insertHistory(unit, now, unit.nValue, unit.sValue);

  const redefined = definitionChanged(current, unit);
  // The retained state is what automations react to, so like Domoticz's events it is published for a real change
  // only: not for a heartbeat Update that merely moves LastUpdate, and not under SuppressTriggers. Discovery
  // still follows a new name or type.
  const triggers = !request.suppressTriggers;
  scope.afterCommit(() => {
    const { outputs } = context;
    if (timedOutChanged && triggers) {
      for (const sibling of device.units.values())
        outputs.unitChanged(sibling, sibling === unit && redefined);
    } else if ((triggers && visiblyChanged(current, unit)) || redefined) {
      outputs.unitChanged(unit, redefined);
    }
    if (redefined || timedOutChanged) outputs.devicesChanged();
    if (current.name !== unit.name) {
      outputs.bridgeEvent('unit_renamed', { ...address(unit), from: current.name, origin: scope.origin });
    }
  });
  return { unit, changed: valuesChanged };
}

/** Any member other than LastUpdate (and the history bookkeeping) changed: what the retained state shows. */
export function visiblyChanged(before: Unit, after: Unit): boolean {
  return (
    before.nValue !== after.nValue ||
    before.sValue !== after.sValue ||
    before.batteryLevel !== after.batteryLevel ||
    before.signalLevel !== after.signalLevel ||
    before.description !== after.description ||
    before.color !== after.color ||
    before.lastLevel !== after.lastLevel ||
    before.image !== after.image ||
    before.typeName !== after.typeName ||
    before.adjustment !== after.adjustment ||
    before.multiplier !== after.multiplier ||
    definitionChanged(before, after)
  );
}

function address(unit: Unit) {
  return { hardware: unit.hardwareKey, deviceId: unit.deviceId, unit: unit.unit, name: unit.name };
}

/**
 * Tells the owning plugin of a change it did not make itself (Domoticz's onDeviceAdded, onDeviceModified,
 * onDeviceRemoved); its own changes it already knows of.
 */
function tellPlugin(
  scope: OperationScope,
  hardware: Hardware,
  type: 'device_added' | 'device_modified' | 'device_removed',
  unit: Unit,
): void {
  if (scope.origin === 'plugin') return;
  scope.context.outputs.pluginEvent(hardware.key, {
    type,
    deviceId: unit.deviceId,
    unit: unit.unit,
    record: unitRecord(unit),
  });
}

/** A change from outside the plugin (rename, Used, Options): the plugin gets `device_modified`. */
export function patchUnit(scope: OperationScope, hardware: Hardware, current: Unit, patch: UnitPatch): Unit {
  const next: Unit = {
    ...current,
    name: patch.name ?? current.name,
    used: patch.used ?? current.used,
    options: patch.options ?? current.options,
  };
  if (!definitionChanged(current, next)) return current;
  const unit = scope.context.store.replaceUnit(current, next);
  scope.afterCommit(() => {
    const { outputs } = scope.context;
    outputs.unitChanged(unit, true);
    outputs.devicesChanged();
    if (current.name !== unit.name) {
      outputs.bridgeEvent('unit_renamed', { ...address(unit), from: current.name, origin: scope.origin });
    }
    tellPlugin(scope, hardware, 'device_modified', unit);
  });
  return unit;
}

export function removeUnit(scope: OperationScope, hardware: Hardware, unit: Unit): void {
  const { deviceRemoved } = scope.context.store.deleteUnit(hardware, unit);
  scope.afterCommit(() => {
    const { outputs } = scope.context;
    // Domoticz calls onDeviceRemoved before the unit goes; here the plugin hears of it before its topics clear.
    tellPlugin(scope, hardware, 'device_removed', unit);
    outputs.unitRemoved(unit);
    outputs.devicesChanged();
    outputs.bridgeEvent('unit_removed', { ...address(unit), origin: scope.origin });
    if (deviceRemoved)
      outputs.bridgeEvent('device_removed', { hardware: hardware.key, deviceId: unit.deviceId });
  });
}

/** Touch(): LastUpdate only, no events (so no state publication either). */
export function touchUnit(scope: OperationScope, unit: Unit): Unit {
  return scope.context.store.replaceUnit(unit, { ...unit, lastUpdateMs: scope.context.now() });
}
