import { inspect } from 'node:util';
import { describeZodError } from '@wattbus/shared/contract/payload.js';
import { z } from 'zod';
import type { LiveEnergy, LiveReading } from '../power/types.js';
import { Device } from './device.js';
import { LegacyDevice, type LegacyDeviceInit } from './legacy-device.js';
import type { Parameters } from './parameters.js';
import { activeRuntime, DEBUG, type JsonValue, registrations } from './runtime.js';
import { Unit, type UnitInit } from './unit.js';

function text(message: unknown): string {
  return typeof message === 'string'
    ? message
    : inspect(message, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
}

function prefixed(message: unknown): { message: string; runtime: ReturnType<typeof activeRuntime> } {
  const runtime = activeRuntime('domoticz logging');
  return { runtime, message: `${runtime.parameters?.name ?? runtime.hardwareName}: ${text(message)}` };
}

const ConfigurationSchema = z.record(z.string(), z.json());

function extendsClass(candidate: unknown, base: abstract new (...args: never[]) => unknown): boolean {
  return typeof candidate === 'function' && (candidate === base || candidate.prototype instanceof base);
}

/** What `domoticz.register()` takes: subclasses of Device and Unit (extended) or of LegacyDevice (legacy). */
export interface RegisteredClasses {
  device?: new (deviceId: string) => Device;
  /** The runner constructs registered units with the object form, `new MyUnit({ name, deviceId, unit, ... })`. */
  unit?: new (
    init: UnitInit,
  ) => Unit;
  legacyDevice?: new (init: LegacyDeviceInit) => LegacyDevice;
}

function configuration(): Readonly<Record<string, JsonValue>>;
function configuration(value: Record<string, JsonValue>): Promise<Record<string, JsonValue>>;
function configuration(
  value?: Record<string, JsonValue>,
): Readonly<Record<string, JsonValue>> | Promise<Record<string, JsonValue>> {
  const runtime = activeRuntime('domoticz.configuration()');
  if (value === undefined) return structuredClone(runtime.configuration);
  const parsed = ConfigurationSchema.safeParse(value);
  if (!parsed.success) {
    return Promise.reject(
      new TypeError(`domoticz.configuration(): values must be JSON (${describeZodError(parsed.error)})`),
    );
  }
  return runtime.request('config/set', { configuration: parsed.data }).then(
    ({ configuration: stored }) => {
      runtime.configuration = stored as Record<string, JsonValue>;
      return structuredClone(runtime.configuration);
    },
    (error: unknown) => {
      runtime.reportOperationError('domoticz.configuration()', error);
      throw error;
    },
  );
}

/**
 * Domoticz's module functions (`Domoticz.Log`, `Domoticz.Heartbeat`, ...) in TypeScript spelling. None of them
 * blocks: those that talk to the registry return a promise that resolves once it has answered.
 */
export const domoticz = {
  /** `Domoticz.Log`: an info line, prefixed with the hardware name. */
  log(message: unknown): void {
    const { runtime, message: line } = prefixed(message);
    runtime.logger.info(line);
  },
  /** `Domoticz.Status`: an info line marked as a status message. */
  status(message: unknown): void {
    const { runtime, message: line } = prefixed(message);
    runtime.logger.info({ status: true }, line);
  },
  /** `Domoticz.Error`. */
  error(message: unknown): void {
    const { runtime, message: line } = prefixed(message);
    runtime.logger.error(line);
  },
  /** `Domoticz.Debug`: logged only when the Debugging mask has 1 or 2 set. */
  debug(message: unknown): void {
    const { runtime, message: line } = prefixed(message);
    if (runtime.debugMask & (DEBUG.all | DEBUG.plugin)) runtime.logger.debug(line);
  },
  /**
   * `Domoticz.Debugging(mask)`: 0 none, 1 everything; or add 2 plugin debug(), 4 framework, 8 devices,
   * 16 connections, 64 connection traffic, 128 the callback queue.
   */
  debugging(mask: number): void {
    if (!Number.isInteger(mask) || mask < 0 || mask > 255) {
      throw new RangeError(`domoticz.debugging(): mask must be an integer 0-255, got ${String(mask)}`);
    }
    activeRuntime('domoticz.debugging()').setDebugMask(mask);
  },
  /** `Domoticz.Heartbeat([seconds])`: sets the onHeartbeat interval (initially 10 s) and returns it. */
  heartbeat(seconds?: number): number {
    const runtime = activeRuntime('domoticz.heartbeat()');
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0.05) {
        throw new RangeError(
          `domoticz.heartbeat(): seconds must be a number of at least 0.05, got ${String(seconds)}`,
        );
      }
      runtime.heartbeatSeconds = seconds;
      runtime.trace(DEBUG.framework, { seconds }, `heartbeat interval set to ${seconds} s`);
      runtime.onHeartbeatChange?.();
    }
    return runtime.heartbeatSeconds;
  },
  /** `Domoticz.Notifier(name)`: asks the registry to send notifications to this plugin's onNotification. */
  async notifier(name: string): Promise<void> {
    const runtime = activeRuntime('domoticz.notifier()');
    try {
      await runtime.request('notifier/register', { name });
    } catch (error) {
      runtime.reportOperationError('domoticz.notifier()', error, { name });
      throw error;
    }
  },
  /**
   * `Domoticz.Configuration([dict])`: without an argument, the plugin's stored configuration (loaded before
   * onStart); with one, stores it in the registry and resolves to what was stored. Values are JSON.
   */
  configuration,
  /**
   * `Domoticz.Register(Device=..., Unit=...)`: call at module level so the runner fills the devices dictionaries
   * with your subclasses (their constructors run before onStart for existing units).
   */
  register(classes: RegisteredClasses): void {
    const checks: [keyof RegisteredClasses, unknown, abstract new (...args: never[]) => unknown][] = [
      ['device', classes.device, Device],
      ['unit', classes.unit, Unit],
      ['legacyDevice', classes.legacyDevice, LegacyDevice],
    ];
    for (const [key, candidate, base] of checks) {
      if (candidate === undefined) continue;
      if (!extendsClass(candidate, base)) {
        throw new TypeError(`domoticz.register(): ${key} must be a class that extends ${base.name}`);
      }
    }
    if (classes.device) registrations.device = classes.device;
    if (classes.unit) registrations.unit = classes.unit;
    if (classes.legacyDevice) registrations.legacyDevice = classes.legacyDevice;
  },
};

/** A stable exported object that reads through to the running plugin's current value. */
function forward<T extends object>(feature: string, resolve: () => T): T {
  const target = {};
  Object.defineProperty(target, inspect.custom, {
    value: (depth: number, options: object) => inspect(resolve(), { ...options, depth }),
    configurable: true,
  });
  const readOnly = (): never => {
    throw new TypeError(`${feature} is read-only`);
  };
  return new Proxy(target, {
    get: (_target, property) => Reflect.get(resolve(), property),
    has: (_target, property) => Reflect.has(resolve(), property),
    ownKeys: () => Reflect.ownKeys(resolve()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(resolve(), property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    set: readOnly,
    deleteProperty: readOnly,
    defineProperty: readOnly,
  }) as T;
}

/** DomoticzEx's `Devices`: keyed by DeviceID, each with `.units[n]`. Filled before onStart. */
export const devices: Readonly<Record<string, Device>> = forward('devices', () => {
  const runtime = activeRuntime('devices');
  if (runtime.layout === 'legacy') {
    throw new TypeError(
      'this plugin uses the legacy layout (definition.layout = "legacy"): use legacyDevices[unit]',
    );
  }
  return runtime.devices.view;
});

/** The legacy framework's `Devices`: keyed by unit number. Filled before onStart. */
export const legacyDevices: Readonly<Record<number, LegacyDevice>> = forward('legacyDevices', () => {
  const runtime = activeRuntime('legacyDevices');
  if (runtime.layout !== 'legacy') {
    throw new TypeError('this plugin uses the extended layout: use devices[deviceId].units[unit]');
  }
  return runtime.legacyDevices.view;
});

/** Domoticz's `Parameters`: every value a string; available from onStart on. */
export const parameters: Parameters = forward('parameters', () => {
  const runtime = activeRuntime('parameters');
  if (!runtime.parameters)
    throw new Error('parameters are available from onStart on, not while the module loads');
  return runtime.parameters;
});

/** Domoticz's `Settings`: the registry's live settings map; changes arrive without a restart. */
export const settings: Readonly<Record<string, string>> = forward(
  'settings',
  () => activeRuntime('settings').settings.view,
);

/**
 * wattbus extra: the latest reading, live and read-only, as power-monitor-style plugins get it. The first access
 * subscribes to readings; export `onReading(reading)` to be called on each one instead.
 */
export const latestReading: LiveReading = forward(
  'latestReading',
  () => activeRuntime('latestReading').reading.view as LiveReading,
);

/** wattbus extra: the energy counters (Wh), live and read-only. Export `onEnergy(energy)` to be called on each update. */
export const latestEnergy: LiveEnergy = forward(
  'latestEnergy',
  () => activeRuntime('latestEnergy').energy.view as LiveEnergy,
);
