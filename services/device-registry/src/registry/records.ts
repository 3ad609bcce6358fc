import type { BridgeDevices, DeviceRecord, UnitRecord, UnitState } from '@wattbus/shared';
import { decodeValues } from '../catalogue/decode.js';
import { unitKind } from '../catalogue/unit-kind.js';
import type { Device, Hardware, Unit } from '../store/model.js';

/** The contract's view of the store: records for the protocol, retained state, the bridge's device list. */

let lastMs = Number.NaN;
let lastIso = '';

/** ISO 8601 of a ms timestamp. Every update answers with one, and a burst shares a few ms: the last is kept. */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

export function kindOf(unit: Pick<Unit, 'type' | 'subtype' | 'switchtype'>) {
  return unitKind(unit.type, unit.subtype, unit.switchtype);
}

/** The members a unit shows both in the bridge API's records and in its retained state. */
function sharedMembers(unit: Unit) {
  return {
    name: unit.name,
    type: unit.type,
    subtype: unit.subtype,
    switchtype: unit.switchtype,
    nValue: unit.nValue,
    sValue: unit.sValue,
    options: { ...unit.options },
    batteryLevel: unit.batteryLevel,
    signalLevel: unit.signalLevel,
    used: unit.used,
    description: unit.description,
    color: unit.color,
    lastLevel: unit.lastLevel,
    lastUpdate: isoTime(unit.lastUpdateMs),
  };
}

export function unitRecord(unit: Unit): UnitRecord {
  const record: UnitRecord = {
    id: unit.id,
    hardware: unit.hardwareKey,
    deviceId: unit.deviceId,
    unit: unit.unit,
    ...sharedMembers(unit),
    image: unit.image,
    adjustment: unit.adjustment,
    multiplier: unit.multiplier,
  };
  if (unit.typeName !== undefined) record.typeName = unit.typeName;
  return record;
}

export function deviceRecord(device: Device): DeviceRecord {
  return {
    hardware: device.hardwareKey,
    deviceId: device.deviceId,
    timedOut: device.timedOut,
    units: [...device.units.values()].sort((a, b) => a.unit - b.unit).map(unitRecord),
  };
}

/** The retained `<base>/devices/<hw>/<device>/<unit>` payload: the unit's members plus decoded values. */
export function unitState(unit: Unit, timedOut: boolean): UnitState {
  // Built by assignment rather than by spreading three objects into one: this runs for every update, and the
  // spreads cost more than the rest of it.
  const state = sharedMembers(unit) as UnitState;
  state.timedOut = timedOut;
  const decoded = decodeValues(kindOf(unit), unit);
  for (const key in decoded) (state as Record<string, unknown>)[key] = decoded[key as keyof typeof decoded];
  if (unit.typeName !== undefined) state.typeName = unit.typeName;
  return state;
}

export function bridgeDevices(
  hardware: Iterable<Hardware>,
  isOnline: (key: string) => boolean,
  only?: string,
): BridgeDevices {
  const list: BridgeDevices['hardware'] = [];
  for (const entry of hardware) {
    if (only !== undefined && entry.key !== only) continue;
    list.push({
      id: entry.key,
      hardwareId: entry.id,
      plugin: entry.plugin,
      name: entry.name,
      layout: entry.layout,
      online: isOnline(entry.key),
      devices: [...entry.devices.values()]
        .sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0))
        .map((device) => {
          const { hardware: _hardware, ...rest } = deviceRecord(device);
          return rest;
        }),
    });
  }
  return { hardware: list };
}
