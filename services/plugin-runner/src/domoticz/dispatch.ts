import type { PluginCommand, PluginEvent } from '@wattbus/shared';
import { findUnit, removeUnit, upsertUnit } from './device-table.js';
import type { DomoticzRuntime } from './runtime.js';

type Handler = (...args: unknown[]) => unknown;

function method(target: object | undefined, name: string): Handler | undefined {
  const value = target ? (target as Record<string, unknown>)[name] : undefined;
  return typeof value === 'function' ? (value as Handler).bind(target) : undefined;
}

/**
 * Calls a unit-level callback where Domoticz would: on a registered Unit class first, then on its Device class,
 * then the module function, each with its own (shorter) argument list. Legacy plugins have only the module level.
 */
function callUnitHandler(
  runtime: DomoticzRuntime,
  name: string,
  deviceId: string | undefined,
  unit: number | undefined,
  args: unknown[],
): unknown {
  if (runtime.layout === 'legacy') return method(runtime.exports, name)?.(unit, ...args);
  if (deviceId !== undefined && unit !== undefined) {
    const device = runtime.devices.map.get(deviceId);
    const unitHandler = method(findUnit(runtime, deviceId, unit), name);
    if (unitHandler) return unitHandler(...args);
    const deviceHandler = method(device, name);
    if (deviceHandler) return deviceHandler(unit, ...args);
  }
  return method(runtime.exports, name)?.(deviceId, unit, ...args);
}

/** A command routed by the registry: Domoticz's onCommand. */
export function dispatchCommand(runtime: DomoticzRuntime, command: PluginCommand): void {
  runtime.trace(8, { ...command }, `command ${command.command} for ${command.deviceId}/${command.unit}`);
  runtime.queue.push('onCommand', () =>
    callUnitHandler(runtime, 'onCommand', command.deviceId, command.unit, [
      command.command,
      command.level,
      command.color,
    ]),
  );
}

/**
 * Changes made outside the plugin (onDeviceAdded/Modified/Removed), notifications and security events. The
 * devices dictionary is updated inside the queued callback, so callbacks never see it change under them: added
 * and modified units are applied just before their callback, removed ones just after theirs.
 */
export function dispatchEvent(runtime: DomoticzRuntime, event: PluginEvent): void {
  switch (event.type) {
    case 'device_added':
    case 'device_modified': {
      const name = event.type === 'device_added' ? 'onDeviceAdded' : 'onDeviceModified';
      runtime.queue.push(name, () => {
        upsertUnit(runtime, event.record);
        runtime.trace(
          8,
          { deviceId: event.deviceId, unit: event.unit },
          `${name} ${event.deviceId}/${event.unit}`,
        );
        return callUnitHandler(runtime, name, event.deviceId, event.unit, []);
      });
      return;
    }
    case 'device_removed':
      runtime.queue.push('onDeviceRemoved', async () => {
        try {
          await callUnitHandler(runtime, 'onDeviceRemoved', event.deviceId, event.unit, []);
        } finally {
          removeUnit(runtime, event.deviceId, event.unit);
        }
      });
      return;
    case 'notification':
      runtime.queueCallback('onNotification', runtime.exports, [
        event.name,
        event.subject,
        event.text,
        event.status,
        event.priority,
        event.sound,
        event.imageFile,
      ]);
      return;
    case 'security':
      runtime.queue.push('onSecurityEvent', () =>
        callUnitHandler(runtime, 'onSecurityEvent', event.deviceId, event.unit, [
          event.level,
          event.description,
        ]),
      );
      return;
  }
}
