import { z } from 'zod';
import { UnitCreateRequest } from './plugin-protocol.js';
import { DeviceId, PluginId, UnitNumber } from './primitives.js';
import { UnitCommand, UnitOptions, UnitRecord } from './units.js';

/** `<base>/bridge/devices`: every hardware, device and unit, retained. */
export const BridgeDevices = z.object({
  hardware: z.array(
    z.object({
      id: PluginId,
      hardwareId: z.number().int(),
      plugin: z.string(),
      name: z.string(),
      layout: z.enum(['extended', 'legacy']),
      online: z.boolean(),
      devices: z.array(z.object({ deviceId: DeviceId, timedOut: z.boolean(), units: z.array(UnitRecord) })),
    }),
  ),
});
export type BridgeDevices = z.infer<typeof BridgeDevices>;

/**
 * `<base>/bridge/settings`: Domoticz's live `Settings` map (Title, Language, ...), retained. Plugins see changes
 * without a restart.
 */
export const BridgeSettings = z.record(z.string().max(100), z.string().max(1000));
export type BridgeSettings = z.infer<typeof BridgeSettings>;

const UnitAddress = { hardware: PluginId, deviceId: DeviceId, unit: UnitNumber };

/** Every bridge request path: the request schema (without `transaction`) and the response `data` schema. */
export const bridgeRequests = {
  'devices/list': { request: z.strictObject({ hardware: PluginId.optional() }), response: BridgeDevices },
  'unit/rename': {
    request: z.strictObject({ ...UnitAddress, name: z.string().trim().min(1).max(100) }),
    response: z.object({ unit: UnitRecord }),
  },
  /** Adds a unit to a plugin's hardware from outside the plugin; the plugin is told with `device_added`. */
  'unit/create': {
    request: UnitCreateRequest.extend({ hardware: PluginId }),
    response: z.object({ unit: UnitRecord }),
  },
  'unit/remove': { request: z.strictObject(UnitAddress), response: z.object({ removed: z.boolean() }) },
  'device/remove': {
    request: z.strictObject({ hardware: PluginId, deviceId: DeviceId }),
    response: z.object({ removed: z.number().int() }),
  },
  'unit/used': {
    request: z.strictObject({ ...UnitAddress, used: z.boolean() }),
    response: z.object({ unit: UnitRecord }),
  },
  'unit/options': {
    request: z.strictObject({ ...UnitAddress, options: UnitOptions }),
    response: z.object({ unit: UnitRecord }),
  },
  'unit/command': {
    request: z.strictObject({ ...UnitAddress, ...UnitCommand.shape }),
    response: z.object({ delivered: z.boolean() }),
  },
  'unit/history': {
    request: z.strictObject({
      ...UnitAddress,
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      limit: z.number().int().min(1).max(100000).optional(),
    }),
    response: z.object({
      rows: z.array(z.object({ timestamp: z.string(), nValue: z.number().int(), sValue: z.string() })),
      truncated: z.boolean().optional(),
    }),
  },
  'discovery/republish': { request: z.strictObject({}), response: z.object({ published: z.number().int() }) },
  'settings/set': {
    request: z.strictObject({ settings: BridgeSettings }),
    response: z.object({ settings: BridgeSettings }),
  },
  /** Delivers a notification to plugins that registered a Notifier (all of them, or the one named). */
  'notification/send': {
    request: z.strictObject({
      notifier: z.string().optional(),
      name: z.string().max(100).default(''),
      subject: z.string().max(1000),
      text: z.string().max(10000).default(''),
      status: z.string().max(100).default(''),
      priority: z.number().int().min(-2).max(2).default(0),
      sound: z.string().max(100).default(''),
      imageFile: z.string().max(1000).default(''),
    }),
    response: z.object({ delivered: z.number().int() }),
  },
  /** A security panel change (Domoticz onSecurityEvent), sent to every online plugin or to one unit's owner. */
  'security/set': {
    request: z.strictObject({
      level: z.number().int().min(0).max(255),
      description: z.string().max(200),
      hardware: PluginId.optional(),
      deviceId: DeviceId.optional(),
      unit: UnitNumber.optional(),
    }),
    response: z.object({ delivered: z.number().int() }),
  },
} as const;
export type BridgeRequestPath = keyof typeof bridgeRequests;

export const BridgeEventType = z.enum([
  'device_added',
  'device_removed',
  'unit_added',
  'unit_removed',
  'unit_renamed',
  'command_failed',
  'request_rejected',
  'plugin_started',
  'plugin_stopped',
  'plugin_failed',
  'plugin_blocked',
  'plugin_disabled',
  'plugin_offline',
  'sampler_fault',
  'sampler_recovered',
  /** The sampler cannot save its energy counters (disk full, read-only); it keeps sampling and publishing. */
  'sampler_storage_failed',
  'sampler_storage_recovered',
  /** The registry cannot write its database (disk full, read-only); it keeps answering reads. */
  'registry_degraded',
  'registry_recovered',
]);
export type BridgeEventType = z.infer<typeof BridgeEventType>;

/** `<base>/bridge/event`: `{type, data}`, not retained. */
export const BridgeEvent = z.object({
  type: BridgeEventType,
  data: z.record(z.string(), z.unknown()),
});
export type BridgeEvent = z.infer<typeof BridgeEvent>;
