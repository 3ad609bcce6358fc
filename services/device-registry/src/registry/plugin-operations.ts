import type { PluginRequestOp, PluginResponseData, pluginRequests } from '@wattbus/shared';
import type { z } from 'zod';
import { RequestFailure } from '../store/group-commit.js';
import type { Hardware, JsonValue } from '../store/model.js';
import type { OperationScope } from './context.js';
import { queryHistory } from './history.js';
import { deviceRecord, unitRecord } from './records.js';
import {
  createUnit,
  removeUnit,
  requireHardware,
  requireUnit,
  touchUnit,
  updateUnit,
} from './unit-writes.js';

type Request<Op extends PluginRequestOp> = z.output<(typeof pluginRequests)[Op]['request']>;

export interface PluginOperation<Op extends PluginRequestOp> {
  /** False for operations that only read; they still run in order with the writes. */
  write: boolean;
  run(scope: OperationScope, hardware: string, request: Request<Op>): PluginResponseData<Op>;
}

/** `units/update` is not one operation but several `unit/update`s: see protocol/batched-updates.ts. */
export type SingleOperation = Exclude<PluginRequestOp, 'units/update'>;

type PluginOperations = { [Op in SingleOperation]: PluginOperation<Op> };

function legacyConflicts(hardware: Hardware): number[] {
  const seen = new Set<number>();
  const duplicates = new Set<number>();
  for (const device of hardware.devices.values()) {
    for (const unit of device.units.keys()) {
      if (seen.has(unit)) duplicates.add(unit);
      seen.add(unit);
    }
  }
  return [...duplicates].sort((a, b) => a - b);
}

/**
 * The registry side of every plugin request. `hardware` always comes from the request's topic, so a plugin can only
 * ever address its own devices: another plugin's DeviceID is simply not found under its hardware.
 */
export const pluginOperations: PluginOperations = {
  'hardware/announce': {
    write: true,
    run(scope, key, request) {
      const existing = scope.context.store.hardware.get(key);
      if (existing && request.layout === 'legacy' && existing.layout !== 'legacy') {
        const conflicts = legacyConflicts(existing);
        if (conflicts.length > 0) {
          throw new RequestFailure(
            `hardware ${key} cannot switch to the legacy layout: unit numbers ${conflicts.join(', ')} are used by several devices`,
            'conflict',
          );
        }
      }
      const changed =
        !existing ||
        existing.plugin !== request.plugin ||
        existing.name !== request.name ||
        existing.layout !== request.layout ||
        JSON.stringify(existing.settings) !== JSON.stringify(request.settings);
      if (!changed) return { hardwareId: existing.id };
      const hardware = scope.context.store.upsertHardware(key, request, scope.context.now());
      scope.afterCommit(() => {
        scope.context.outputs.devicesChanged();
        // The hardware name is in every unit's discovery device block.
        for (const device of hardware.devices.values()) {
          for (const unit of device.units.values()) scope.context.outputs.unitChanged(unit, true);
        }
      });
      return { hardwareId: hardware.id };
    },
  },
  'devices/list': {
    write: false,
    run(scope, key) {
      const hardware = requireHardware(scope, key);
      return { devices: [...hardware.devices.values()].map(deviceRecord) };
    },
  },
  'device/refresh': {
    write: false,
    run(scope, key, request) {
      const device = requireHardware(scope, key).devices.get(request.deviceId);
      return { device: device ? deviceRecord(device) : null };
    },
  },
  'device/timedout': {
    write: true,
    run(scope, key, request) {
      const hardware = requireHardware(scope, key);
      const device = hardware.devices.get(request.deviceId);
      if (!device) {
        throw new RequestFailure(
          `device ${JSON.stringify(request.deviceId)} does not exist on hardware ${key}`,
          'not_found',
        );
      }
      if (device.timedOut !== request.timedOut) {
        scope.context.store.setTimedOut(hardware, device, request.timedOut);
        scope.afterCommit(() => {
          for (const unit of device.units.values()) scope.context.outputs.unitChanged(unit, false);
          scope.context.outputs.devicesChanged();
        });
      }
      return { device: deviceRecord(device) };
    },
  },
  'unit/create': {
    write: true,
    run(scope, key, request) {
      return { unit: unitRecord(createUnit(scope, requireHardware(scope, key), request)) };
    },
  },
  'unit/update': {
    write: true,
    run(scope, key, request) {
      const { unit, changed } = updateUnit(scope, requireHardware(scope, key), request);
      return { unit: unitRecord(unit), changed };
    },
  },
  'unit/delete': {
    write: true,
    run(scope, key, request) {
      const hardware = requireHardware(scope, key);
      removeUnit(scope, hardware, requireUnit(hardware, request.deviceId, request.unit));
      return { deleted: true };
    },
  },
  'unit/refresh': {
    write: false,
    run(scope, key, request) {
      const unit = requireHardware(scope, key).devices.get(request.deviceId)?.units.get(request.unit);
      return { unit: unit ? unitRecord(unit) : null };
    },
  },
  'unit/touch': {
    write: true,
    run(scope, key, request) {
      const hardware = requireHardware(scope, key);
      return { unit: unitRecord(touchUnit(scope, requireUnit(hardware, request.deviceId, request.unit))) };
    },
  },
  'unit/history': {
    write: false,
    run(scope, key, request) {
      const hardware = requireHardware(scope, key);
      return queryHistory(
        scope.context.store,
        requireUnit(hardware, request.deviceId, request.unit),
        request,
      );
    },
  },
  'config/get': {
    write: false,
    run(scope, key) {
      return { configuration: requireHardware(scope, key).configuration };
    },
  },
  'config/set': {
    write: true,
    run(scope, key, request) {
      const hardware = requireHardware(scope, key);
      // Configuration(dict) replaces the stored dictionary, as in Domoticz.
      scope.context.store.setConfiguration(hardware, request.configuration as Record<string, JsonValue>);
      return { configuration: hardware.configuration };
    },
  },
  'notifier/register': {
    write: true,
    run(scope, key, request) {
      scope.context.store.addNotifier(requireHardware(scope, key), request.name);
      return { name: request.name };
    },
  },
};
