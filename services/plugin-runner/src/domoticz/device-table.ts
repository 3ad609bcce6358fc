import type { DeviceRecord, UnitRecord } from '@wattbus/shared';
import { Device } from './device.js';
import { deviceInternals, unitInternals } from './internals.js';
import { LegacyDevice } from './legacy-device.js';
import { type DomoticzRuntime, registrations } from './runtime.js';
import { Unit } from './unit.js';

/** Builds an object with the plugin's registered class; a throwing constructor falls back to the default class. */
function construct<T>(
  runtime: DomoticzRuntime,
  what: string,
  registered: (() => T) | undefined,
  fallback: () => T,
): T {
  if (!registered) return fallback();
  try {
    return registered();
  } catch (error) {
    runtime.logger.error(
      { err: error },
      `the registered ${what} class threw in its constructor; using the default ${what}`,
    );
    return fallback();
  }
}

function settingsOf(record: UnitRecord) {
  return {
    name: record.name,
    ...(record.typeName ? { typeName: record.typeName } : {}),
    type: record.type,
    subtype: record.subtype,
    switchtype: record.switchtype,
    image: record.image,
    options: record.options,
    used: record.used,
    description: record.description,
  };
}

/** The Device for a DeviceID, created (with the registered class) when it is new. */
export function ensureDevice(runtime: DomoticzRuntime, deviceId: string): Device {
  let device = runtime.devices.map.get(deviceId);
  if (!device) {
    const registered = registrations.device;
    device = construct(
      runtime,
      'Device',
      registered && (() => new registered(deviceId)),
      () => new Device(deviceId),
    );
    runtime.devices.map.set(deviceId, device);
  }
  return device;
}

/** Adds a unit the registry reported, or updates the object the plugin already has for it. */
export function upsertUnit(
  runtime: DomoticzRuntime,
  record: UnitRecord,
  timedOut?: boolean,
): Unit | LegacyDevice {
  if (runtime.layout === 'legacy') {
    let device = runtime.legacyDevices.map.get(record.unit);
    if (!device) {
      const registered = registrations.legacyDevice;
      const init = { ...settingsOf(record), unit: record.unit, deviceId: record.deviceId };
      device = construct(
        runtime,
        'LegacyDevice',
        registered && (() => new registered(init)),
        () => new LegacyDevice(init),
      );
      runtime.legacyDevices.map.set(record.unit, device);
    }
    device[unitInternals](record);
    if (timedOut !== undefined) device.timedOut = timedOut;
    return device;
  }
  const units = ensureDevice(runtime, record.deviceId)[deviceInternals].units;
  let unit = units.get(record.unit);
  if (!unit) {
    const registered = registrations.unit;
    const init = { ...settingsOf(record), deviceId: record.deviceId, unit: record.unit };
    unit = construct(runtime, 'Unit', registered && (() => new registered(init)), () => new Unit(init));
    units.set(record.unit, unit);
  }
  unit[unitInternals](record);
  return unit;
}

export function findUnit(
  runtime: DomoticzRuntime,
  deviceId: string,
  unit: number,
): Unit | LegacyDevice | undefined {
  if (runtime.layout === 'legacy') return runtime.legacyDevices.map.get(unit);
  return runtime.devices.map.get(deviceId)?.[deviceInternals].units.get(unit);
}

export function removeUnit(runtime: DomoticzRuntime, deviceId: string, unit: number): void {
  if (runtime.layout === 'legacy') {
    runtime.legacyDevices.map.delete(unit);
    return;
  }
  const device = runtime.devices.map.get(deviceId);
  if (!device) return;
  const units = device[deviceInternals].units;
  units.delete(unit);
  if (units.size === 0) runtime.devices.map.delete(deviceId);
}

/** Applies a device as the registry has it; `prune` also drops units the registry no longer has. */
export function applyDeviceRecord(runtime: DomoticzRuntime, record: DeviceRecord, prune: boolean): void {
  if (runtime.layout === 'legacy') {
    for (const unit of record.units) upsertUnit(runtime, unit, record.timedOut);
    return;
  }
  if (record.units.length === 0 && !runtime.devices.map.has(record.deviceId)) return;
  const device = ensureDevice(runtime, record.deviceId);
  device[deviceInternals].setTimedOutLocally(record.timedOut);
  for (const unit of record.units) upsertUnit(runtime, unit);
  if (!prune) return;
  const present = new Set(record.units.map((unit) => unit.unit));
  for (const unit of [...device[deviceInternals].units.keys()]) {
    if (!present.has(unit)) removeUnit(runtime, record.deviceId, unit);
  }
  if (device[deviceInternals].units.size === 0) runtime.devices.map.delete(record.deviceId);
}

/** Fills the devices dictionary before onStart. */
export function loadDevices(runtime: DomoticzRuntime, records: DeviceRecord[]): void {
  for (const record of records) applyDeviceRecord(runtime, record, false);
}
