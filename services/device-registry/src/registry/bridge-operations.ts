import type { BridgeRequestPath, BridgeSettings, bridgeRequests, UnitCommand } from '@wattbus/shared';
import type { z } from 'zod';
import { RequestFailure } from '../store/group-commit.js';
import type { Origin } from './context.js';
import { queryHistory } from './history.js';
import { bridgeDevices, unitRecord } from './records.js';
import type { RegistryCore } from './registry-core.js';
import { createUnit, patchUnit, removeUnit, requireHardware, requireUnit } from './unit-writes.js';

type Request<P extends BridgeRequestPath> = z.output<(typeof bridgeRequests)[P]['request']>;
type Response<P extends BridgeRequestPath> = z.input<(typeof bridgeRequests)[P]['response']>;
export type BridgeHandlers = {
  [P in BridgeRequestPath]: (request: Request<P>, origin: Origin) => Promise<Response<P>>;
};

export interface UnitAddress {
  hardware: string;
  deviceId: string;
  unit: number;
}

export interface BridgeDependencies {
  core: RegistryCore;
  /** Routes a command to the owning plugin; throws a RequestFailure saying why it could not. */
  sendCommand(address: UnitAddress, command: UnitCommand, source: Origin): void;
  republishDiscovery(): number;
  isOnline(hardware: string): boolean;
  /** The live Settings map: config defaults overlaid with values set through the bridge. */
  settings(): BridgeSettings;
}

/**
 * The bridge API (`<base>/bridge/request/<path>` and the HTTP API): changes made from outside the plugins.
 * Changes to units go through the same group commit as plugin requests, and the owning plugin is told of them.
 */
export function createBridgeHandlers(deps: BridgeDependencies): BridgeHandlers {
  const { core } = deps;
  return {
    'devices/list': (request, origin) =>
      core.run(origin, false, ({ context }) => {
        if (request.hardware !== undefined) requireHardwareIn(context.store.hardware, request.hardware);
        return bridgeDevices(context.store.hardware.values(), deps.isOnline, request.hardware);
      }),
    'unit/create': (request, origin) =>
      core.run(origin, true, (scope) => {
        const { hardware, ...unit } = request;
        return { unit: unitRecord(createUnit(scope, requireHardware(scope, hardware), unit)) };
      }),
    'unit/rename': (request, origin) =>
      core.run(origin, true, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        const unit = requireUnit(hardware, request.deviceId, request.unit);
        return { unit: unitRecord(patchUnit(scope, hardware, unit, { name: request.name })) };
      }),
    'unit/used': (request, origin) =>
      core.run(origin, true, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        const unit = requireUnit(hardware, request.deviceId, request.unit);
        return { unit: unitRecord(patchUnit(scope, hardware, unit, { used: request.used })) };
      }),
    'unit/options': (request, origin) =>
      core.run(origin, true, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        const unit = requireUnit(hardware, request.deviceId, request.unit);
        return { unit: unitRecord(patchUnit(scope, hardware, unit, { options: request.options })) };
      }),
    'unit/remove': (request, origin) =>
      core.run(origin, true, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        const unit = hardware.devices.get(request.deviceId)?.units.get(request.unit);
        if (!unit) return { removed: false };
        removeUnit(scope, hardware, unit);
        return { removed: true };
      }),
    'device/remove': (request, origin) =>
      core.run(origin, true, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        const device = hardware.devices.get(request.deviceId);
        if (!device) return { removed: 0 };
        const units = [...device.units.values()];
        for (const unit of units) removeUnit(scope, hardware, unit);
        return { removed: units.length };
      }),
    'unit/command': async (request, origin) => {
      const { hardware, deviceId, unit, ...command } = request;
      deps.sendCommand({ hardware, deviceId, unit }, command, origin);
      return { delivered: true };
    },
    'unit/history': (request, origin) =>
      core.run(origin, false, (scope) => {
        const hardware = requireHardware(scope, request.hardware);
        return queryHistory(
          scope.context.store,
          requireUnit(hardware, request.deviceId, request.unit),
          request,
        );
      }),
    'discovery/republish': async () => ({ published: deps.republishDiscovery() }),
    'settings/set': (request, origin) =>
      core.run(origin, true, (scope) => {
        for (const [key, value] of Object.entries(request.settings))
          scope.context.store.setSetting(key, value);
        scope.afterCommit(() => scope.context.outputs.settingsChanged());
        return { settings: deps.settings() };
      }),
    'notification/send': (request, origin) =>
      core.run(origin, false, ({ context }) => {
        const { notifier, ...notification } = request;
        let delivered = 0;
        for (const hardware of context.store.hardware.values()) {
          const names = [...hardware.notifiers].filter((name) => notifier === undefined || name === notifier);
          if (names.length === 0 || !deps.isOnline(hardware.key)) continue;
          context.outputs.pluginEvent(hardware.key, { type: 'notification', ...notification });
          delivered++;
        }
        return { delivered };
      }),
    'security/set': (request, origin) =>
      core.run(origin, false, ({ context }) => {
        const { hardware: only, deviceId, unit, level, description } = request;
        if ((deviceId !== undefined || unit !== undefined) && only === undefined) {
          throw new RequestFailure('hardware is required when deviceId or unit is given');
        }
        if (only !== undefined) requireHardwareIn(context.store.hardware, only);
        let delivered = 0;
        for (const hardware of context.store.hardware.values()) {
          if ((only !== undefined && hardware.key !== only) || !deps.isOnline(hardware.key)) continue;
          context.outputs.pluginEvent(hardware.key, { type: 'security', deviceId, unit, level, description });
          delivered++;
        }
        return { delivered };
      }),
  };
}

function requireHardwareIn(hardware: Map<string, unknown>, key: string): void {
  if (!hardware.has(key)) throw new RequestFailure(`hardware ${key} is unknown`, 'not_found');
}
