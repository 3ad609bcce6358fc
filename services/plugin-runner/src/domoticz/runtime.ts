import type {
  BridgeSettings,
  Energy,
  Logger,
  PluginRequest,
  PluginRequestOp,
  PluginResponseData,
  Reading,
} from '@wattbus/shared';
import type { Feed } from '../ipc/messages.js';
import { LiveView } from '../power/live-view.js';
import { CallbackQueue } from './callback-queue.js';
import type { Device } from './device.js';
import { Dictionary, stringKey, unitKey } from './dictionary.js';
import type { LegacyDevice, LegacyDeviceInit } from './legacy-device.js';
import type { Parameters } from './parameters.js';
import type { Unit, UnitInit } from './unit.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What the runtime needs from the process hosting it: registry requests and feeds, through the supervisor. */
export interface RuntimeServices {
  request(op: string, payload: Record<string, unknown>): Promise<unknown>;
  subscribe(feed: Feed): void;
}

/** Bits of Domoticz's `Debugging(mask)`. */
export const DEBUG = {
  all: 1,
  plugin: 2,
  framework: 4,
  devices: 8,
  connections: 16,
  images: 32,
  traffic: 64,
  queue: 128,
} as const;

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Everything a Domoticz-style plugin's API reads and changes: its devices, parameters, settings, the callback
 * queue, the debugging mask. One per plugin process; the exported API functions and classes reach it through
 * `activeRuntime()`.
 */
export class DomoticzRuntime {
  readonly queue: CallbackQueue;
  readonly devices = new Dictionary<string, Device>(
    'devices',
    stringKey,
    'create units with new Unit(...).create() and remove them with unit.delete()',
  );
  readonly legacyDevices = new Dictionary<number, LegacyDevice>(
    'legacyDevices',
    unitKey,
    'create devices with new LegacyDevice(...).create() and remove them with device.delete()',
  );
  readonly settings = new Dictionary<string, string>(
    'settings',
    stringKey,
    'Settings mirror the registry (bridge/request/settings/set changes them)',
  );
  readonly reading: LiveView<Reading>;
  readonly energy: LiveView<Energy>;
  layout: 'extended' | 'legacy' = 'extended';
  hardwareId = 0;
  parameters: Parameters | undefined;
  configuration: Record<string, JsonValue> = {};
  debugMask = 0;
  heartbeatSeconds = 10;
  /** Called when the plugin changes its heartbeat interval. */
  onHeartbeatChange: (() => void) | undefined;
  /** The plugin module's exports: its module-level callbacks. */
  exports: Record<string, unknown> = {};
  /** Open connections, closed when the plugin stops. */
  readonly connections = new Set<{ shutdown(): void }>();
  private readonly baseLevel: string;

  constructor(
    readonly pluginId: string,
    readonly hardwareName: string,
    readonly logger: Logger,
    readonly services: RuntimeServices,
  ) {
    this.baseLevel = logger.level;
    this.queue = new CallbackQueue(
      (name, error) => this.reportCallbackError(name, error),
      (message, depth) => this.trace(DEBUG.queue, { depth }, message),
    );
    this.reading = new LiveView<Reading>('reading', () => services.subscribe('readings'));
    this.energy = new LiveView<Energy>('energy', () => services.subscribe('energy'));
  }

  request<Op extends PluginRequestOp>(op: Op, payload: PluginRequest<Op>): Promise<PluginResponseData<Op>> {
    return this.services.request(op, payload as Record<string, unknown>) as Promise<PluginResponseData<Op>>;
  }

  /** A framework debug line, logged when the Debugging mask has `bit` (or 1, everything) set. */
  trace(bit: number, fields: Record<string, unknown>, message: string): void {
    if (this.debugMask & (bit | DEBUG.all)) this.logger.debug(fields, message);
  }

  /** Debugging(mask): a non-zero mask also lowers the plugin's log level to debug so the lines show. */
  setDebugMask(mask: number): void {
    this.debugMask = mask;
    const wanted =
      mask !== 0 && LEVEL_ORDER.indexOf(this.baseLevel) > LEVEL_ORDER.indexOf('debug')
        ? 'debug'
        : this.baseLevel;
    if (this.logger.level !== wanted) this.logger.level = wanted;
  }

  replaceSettings(settings: BridgeSettings): void {
    this.settings.map.clear();
    for (const [key, value] of Object.entries(settings)) this.settings.map.set(key, value);
  }

  /**
   * Queues `target[name](...args)` if the target defines it: Domoticz calls only the callbacks a plugin defines.
   * Returns false when there was nothing to call.
   */
  queueCallback(name: string, target: object | undefined, args: unknown[]): boolean {
    const callback = target ? (target as Record<string, unknown>)[name] : undefined;
    if (typeof callback !== 'function') return false;
    this.queue.push(name, () => callback.apply(target, args));
    return true;
  }

  reportCallbackError(name: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error({ err: error, callback: name }, `${name} failed: ${message}`);
  }

  /** Reports a failed registry operation that the plugin may not await. */
  reportOperationError(operation: string, error: unknown, fields: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    this.logger.error({ ...fields, operation, err: message }, `${operation} failed: ${message}`);
  }
}

let active: DomoticzRuntime | undefined;

export function installRuntime(runtime: DomoticzRuntime | undefined): void {
  active = runtime;
}

/** The running plugin's runtime; `feature` names what was used, for the error outside a plugin runner. */
export function activeRuntime(feature: string): DomoticzRuntime {
  if (!active) {
    throw new Error(
      `${feature} is only available inside a Domoticz-style plugin run by the wattbus plugin runner (after its module has loaded)`,
    );
  }
  return active;
}

export function currentRuntime(): DomoticzRuntime | undefined {
  return active;
}

/** Classes set by `domoticz.register()`, read when the runner fills the devices dictionaries. */
export const registrations: {
  device?: new (deviceId: string) => Device;
  unit?: new (init: UnitInit) => Unit;
  legacyDevice?: new (init: LegacyDeviceInit) => LegacyDevice;
} = {};
