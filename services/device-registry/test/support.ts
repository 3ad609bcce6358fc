import { join } from 'node:path';
import type { BridgeEventType, PluginEvent } from '@wattbus/shared';
import { handleBridgeRequest, handlePluginRequest } from '../src/protocol/requests.js';
import { createBridgeHandlers } from '../src/registry/bridge-operations.js';
import type { Outputs, RegistryContext } from '../src/registry/context.js';
import { RegistryCore } from '../src/registry/registry-core.js';
import { closeDatabase, openDatabase } from '../src/store/database.js';
import { GroupCommit, type GroupCommitHooks } from '../src/store/group-commit.js';
import type { Unit } from '../src/store/model.js';
import { RegistryStore } from '../src/store/registry-store.js';

/** Outputs that record what the registry would publish, for tests without a broker. */
export class RecordingOutputs implements Outputs {
  changed: { unit: Unit; definition: boolean }[] = [];
  removed: Unit[] = [];
  pluginEvents: { hardware: string; event: PluginEvent }[] = [];
  bridgeEvents: { type: BridgeEventType; data: Record<string, unknown> }[] = [];
  devicesChanges = 0;
  settingsChanges = 0;

  unitChanged(unit: Unit, definition: boolean): void {
    this.changed.push({ unit, definition });
  }
  unitRemoved(unit: Unit): void {
    this.removed.push(unit);
  }
  devicesChanged(): void {
    this.devicesChanges++;
  }
  settingsChanged(): void {
    this.settingsChanges++;
  }
  pluginEvent(hardware: string, event: PluginEvent): void {
    this.pluginEvents.push({ hardware, event });
  }
  bridgeEvent(type: BridgeEventType, data: Record<string, unknown>): void {
    this.bridgeEvents.push({ type, data });
  }
  clear(): void {
    this.changed = [];
    this.removed = [];
    this.pluginEvents = [];
    this.bridgeEvents = [];
    this.devicesChanges = 0;
    this.settingsChanges = 0;
  }
}

export interface TestRegistry {
  store: RegistryStore;
  commit: GroupCommit;
  core: RegistryCore;
  outputs: RecordingOutputs;
  clock: { now: number };
  plugin(hardware: string, op: string, body?: Record<string, unknown>): Promise<unknown>;
  bridge(path: string, body?: Record<string, unknown>): Promise<unknown>;
  /** Everything stored, as plain data: to prove a refused request changed nothing. */
  snapshot(): unknown;
  close(): void;
}

export function openTestRegistry(
  dir: string,
  options: {
    maxDatabaseMb?: number;
    hooks?: GroupCommitHooks;
    historyIntervalMs?: number;
    online?: string[];
  } = {},
): TestRegistry {
  const opened = openDatabase({
    path: join(dir, 'registry.db'),
    synchronous: 'normal',
    maxDatabaseMb: options.maxDatabaseMb ?? 0,
  });
  const store = new RegistryStore(opened.db, opened.readOnlyReason !== undefined);
  const outputs = new RecordingOutputs();
  const commit = new GroupCommit(store, 5000, options.hooks ?? {}, opened.readOnlyReason);
  const clock = { now: Date.parse('2024-06-01T12:00:00Z') };
  const context: RegistryContext = {
    store,
    outputs,
    now: () => clock.now,
    timing: { historyIntervalMs: options.historyIntervalMs ?? 0, maxGapMs: 300_000 },
  };
  const core = new RegistryCore(context, commit);
  const online = new Set(options.online ?? []);
  const bridgeHandlers = createBridgeHandlers({
    core,
    sendCommand: () => {},
    republishDiscovery: () => 0,
    isOnline: (hardware) => online.has(hardware),
    settings: () => Object.fromEntries(store.settings),
  });
  return {
    store,
    commit,
    core,
    outputs,
    clock,
    plugin: (hardware, op, body = {}) => handlePluginRequest(core, hardware, op, body),
    bridge: (path, body = {}) => handleBridgeRequest(bridgeHandlers, path, body, 'bridge'),
    snapshot: () => ({
      hardware: [...store.hardware.values()].map((hardware) => ({
        ...hardware,
        notifiers: [...hardware.notifiers],
        devices: [...hardware.devices.values()].map((device) => ({
          ...device,
          units: [...device.units.values()],
        })),
      })),
      rows: {
        units: opened.db.prepare('SELECT * FROM units ORDER BY id').all(),
        devices: opened.db.prepare('SELECT * FROM devices ORDER BY hardware_id, device_id').all(),
        history: opened.db.prepare('SELECT * FROM history ORDER BY rowid').all(),
        hardware: opened.db.prepare('SELECT * FROM hardware ORDER BY id').all(),
      },
    }),
    close: () => closeDatabase(opened.db, opened.readOnlyReason !== undefined),
  };
}
