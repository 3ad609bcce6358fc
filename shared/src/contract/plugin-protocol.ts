import { z } from 'zod';
import { DeviceId, Transaction, UnitNumber } from './primitives.js';
import { Color, DeviceRecord, UnitFields, UnitRecord } from './units.js';

/**
 * The internal protocol between a plugin runner and the registry, under `<base>/plugins/<hw>/`.
 * A runner publishes `request/<op>` with a transaction id; the registry answers on `response/<op>` with the same
 * transaction. Only the registry writes unit state, so a plugin can never change another plugin's devices.
 */

const UnitKey = { deviceId: DeviceId, unit: UnitNumber };

/** Type selection: a TypeName from the catalogue, or raw Type/SubType/SwitchType numbers. */
const TypeSelection = {
  typeName: z.string().min(1).max(64).optional(),
};

export const UnitCreateRequest = z.strictObject({
  ...UnitKey,
  /**
   * Required for the extended layout. A legacy plugin may omit it: the registry then uses Domoticz's default,
   * `000H000U` (HardwareID and Unit as 4-digit upper-case hex, e.g. `00010001`).
   */
  deviceId: DeviceId.optional(),
  ...TypeSelection,
  ...UnitFields.partial().shape,
  name: UnitFields.shape.name,
});

export const UnitUpdateRequest = z.strictObject({
  ...UnitKey,
  ...TypeSelection,
  /** The fields to change; absent fields keep their stored value. */
  changes: UnitFields.partial().extend({ timedOut: z.boolean().optional() }),
  /** Update(Log=True): also write a history row. */
  log: z.boolean().optional(),
  /** Legacy SuppressTriggers: nValue and sValue are not written and no events fire. */
  suppressTriggers: z.boolean().optional(),
});

/**
 * The most updates one `units/update` request may carry. The plugin runner sends what its plugin updated in one
 * event-loop turn as one request of up to this many, so a plugin refreshing many units costs the broker and the
 * registry one request and one answer instead of one of each per unit.
 */
export const MAX_BATCHED_UPDATES = 100;

/** `units/update`: several `unit/update`s in one request. Each is applied, or refused, on its own. */
export const UnitsUpdateRequest = z.strictObject({
  updates: z.array(UnitUpdateRequest).min(1).max(MAX_BATCHED_UPDATES),
});

/**
 * One result of `units/update`, in the order of the request: what `unit/update` would have answered, or why that
 * update was refused. `unit` is left out of every result when the whole answer would be larger than a message may
 * carry; ask `unit/refresh` for it then.
 */
export const UnitUpdateResult = z.union([
  z.strictObject({ unit: UnitRecord.optional(), changed: z.boolean() }),
  z.strictObject({ error: z.string() }),
]);
export type UnitUpdateResult = z.infer<typeof UnitUpdateResult>;

export const UnitKeyRequest = z.strictObject(UnitKey);

export const DeviceTimedOutRequest = z.strictObject({ deviceId: DeviceId, timedOut: z.boolean() });
export const DeviceKeyRequest = z.strictObject({ deviceId: DeviceId });

export const HardwareAnnounceRequest = z.strictObject({
  plugin: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  /** `legacy` plugins number units 1..255 per hardware instead of per device. */
  layout: z.enum(['extended', 'legacy']).default('extended'),
  settings: z.record(z.string(), z.string()).default({}),
});

/** Configuration values are JSON: the Domoticz types str, int, float, bool, list and dict map onto it. */
export const ConfigurationValue = z.record(z.string(), z.json());
export const ConfigSetRequest = z.strictObject({ configuration: ConfigurationValue });
export const EmptyRequest = z.strictObject({});
export const NotifierRequest = z.strictObject({ name: z.string().min(1).max(100) });

export const HistoryQuery = z.strictObject({
  ...UnitKey,
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.number().int().min(1).max(100000).optional(),
});
export const HistoryRow = z.object({
  timestamp: z.string(),
  nValue: z.number().int(),
  sValue: z.string(),
});

/** Every plugin request: its payload schema (without `transaction`) and the schema of the response's `data`. */
export const pluginRequests = {
  'hardware/announce': {
    request: HardwareAnnounceRequest,
    response: z.object({ hardwareId: z.number().int() }),
  },
  'devices/list': { request: EmptyRequest, response: z.object({ devices: z.array(DeviceRecord) }) },
  'device/refresh': { request: DeviceKeyRequest, response: z.object({ device: DeviceRecord.nullable() }) },
  'device/timedout': { request: DeviceTimedOutRequest, response: z.object({ device: DeviceRecord }) },
  'unit/create': { request: UnitCreateRequest, response: z.object({ unit: UnitRecord }) },
  'unit/update': {
    request: UnitUpdateRequest,
    response: z.object({ unit: UnitRecord, changed: z.boolean() }),
  },
  'units/update': {
    request: UnitsUpdateRequest,
    response: z.object({ results: z.array(UnitUpdateResult) }),
  },
  'unit/delete': { request: UnitKeyRequest, response: z.object({ deleted: z.boolean() }) },
  'unit/refresh': { request: UnitKeyRequest, response: z.object({ unit: UnitRecord.nullable() }) },
  'unit/touch': { request: UnitKeyRequest, response: z.object({ unit: UnitRecord }) },
  'unit/history': {
    request: HistoryQuery,
    /** `truncated` when more rows matched than `limit` (default 1000) or than fit one message. */
    response: z.object({ rows: z.array(HistoryRow), truncated: z.boolean().optional() }),
  },
  'config/get': { request: EmptyRequest, response: z.object({ configuration: ConfigurationValue }) },
  'config/set': { request: ConfigSetRequest, response: z.object({ configuration: ConfigurationValue }) },
  'notifier/register': { request: NotifierRequest, response: z.object({ name: z.string() }) },
} as const;

export type PluginRequestOp = keyof typeof pluginRequests;
export type PluginRequest<Op extends PluginRequestOp> = z.input<(typeof pluginRequests)[Op]['request']>;
export type PluginResponseData<Op extends PluginRequestOp> = z.infer<(typeof pluginRequests)[Op]['response']>;

/**
 * Envelope of every request: the op's fields plus the transaction id. The transaction is optional (docs/mqtt-api.md):
 * a script or Node-RED flow that sends one request at a time need not number it; its answer then has none either.
 */
export const RequestEnvelope = z.looseObject({ transaction: Transaction.optional() });

/** Envelope of every response, on the plugin and bridge APIs alike. */
export const ResponseEnvelope = z.object({
  status: z.enum(['ok', 'error']),
  data: z.unknown().optional(),
  error: z.string().optional(),
  transaction: Transaction.optional(),
});
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

/** `<base>/plugins/<hw>/command`: a command routed by the registry, with Domoticz's onCommand arguments. */
export const PluginCommand = z.object({
  deviceId: DeviceId,
  unit: UnitNumber,
  command: z.string(),
  level: z.number(),
  color: Color.nullable(),
  /** Where the command came from: the set topic, the bridge or the HTTP API. */
  source: z.string().optional(),
});
export type PluginCommand = z.infer<typeof PluginCommand>;

/**
 * `<base>/plugins/<hw>/event`: changes made outside the plugin (Domoticz calls onDeviceAdded/Modified/Removed only
 * for those), notifications and security events.
 */
export const PluginEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('device_added'), deviceId: DeviceId, unit: UnitNumber, record: UnitRecord }),
  z.object({ type: z.literal('device_modified'), deviceId: DeviceId, unit: UnitNumber, record: UnitRecord }),
  z.object({ type: z.literal('device_removed'), deviceId: DeviceId, unit: UnitNumber, record: UnitRecord }),
  z.object({
    type: z.literal('notification'),
    name: z.string(),
    subject: z.string(),
    text: z.string(),
    status: z.string(),
    priority: z.number().int(),
    sound: z.string(),
    imageFile: z.string(),
  }),
  z.object({
    type: z.literal('security'),
    deviceId: DeviceId.optional(),
    unit: UnitNumber.optional(),
    level: z.number().int(),
    description: z.string(),
  }),
]);
export type PluginEvent = z.infer<typeof PluginEvent>;

/**
 * `<base>/plugins/<hw>/lifecycle`: the runner reports its plugin's lifecycle; the registry relays each notice to
 * `<base>/bridge/event` with the plugin id taken from the topic, so no plugin can speak for another.
 */
export const PluginLifecycle = z.object({
  type: z.enum(['plugin_started', 'plugin_stopped', 'plugin_failed', 'plugin_blocked', 'plugin_disabled']),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type PluginLifecycle = z.infer<typeof PluginLifecycle>;
