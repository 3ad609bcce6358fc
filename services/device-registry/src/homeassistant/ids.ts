/**
 * Stable identifiers for discovery. unique_ids and topic levels may only use `[A-Za-z0-9_-]`, but a base topic or a
 * DeviceID may hold any character. Plain values stay readable; any other value becomes `-` plus the hex of its
 * UTF-8 bytes (a plain value never starts with `-`, and neither form contains `_`). Joined with `_`, the parts stay
 * unambiguous: only the plugin id may contain `_`, and it sits between the first and the last parts.
 *
 *   node      = <base>_<hw>                      e.g. wattbus_power_devices
 *   object    = <deviceId>_<unit>[_<entity>]     e.g. Power_16_energy
 *   unique_id = <node>_<object>                  e.g. wattbus_power_devices_Power_16_energy
 *
 * These ids are a public contract: Home Assistant keys its entity registry on them. Never change the scheme.
 */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

export function idPart(text: string): string {
  return PLAIN.test(text) ? text : `-${Buffer.from(text, 'utf8').toString('hex')}`;
}

export function nodeId(baseTopic: string, hardware: string): string {
  return `${idPart(baseTopic)}_${hardware}`;
}

/** The entity key of a unit with several entities (`energy`); never contains `_` and is never all digits. */
export function objectId(deviceId: string, unit: number, entity?: string): string {
  return entity ? `${idPart(deviceId)}_${unit}_${entity}` : `${idPart(deviceId)}_${unit}`;
}

/** A Home Assistant entity id suggestion from a display name: `Kitchen Power` -> `kitchen_power`. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
