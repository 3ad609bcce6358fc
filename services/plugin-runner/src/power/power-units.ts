import type { Logger, PluginCommand, PluginEvent } from '@wattbus/shared';
import type { Device } from '../domoticz/device.js';
import { findUnit, loadDevices, removeUnit, upsertUnit } from '../domoticz/device-table.js';
import type { DomoticzRuntime } from '../domoticz/runtime.js';
import { Unit, type UnitInit } from '../domoticz/unit.js';
import { untilAnswered } from '../domoticz/until-answered.js';
import type { CommandListener, PowerUnits, Unsubscribe } from './types.js';

/**
 * Units for a power-monitor-style plugin: the Domoticz runtime's `devices`, `Unit` and commands, started only when
 * the plugin asks for them, so a plugin that never uses units never waits for (or needs) the device registry.
 * Commands and outside changes run on the runtime's callback queue: one at a time, in order, watched by the
 * supervisor's watchdog like Domoticz callbacks.
 */
export class PowerUnitsHost implements PowerUnits {
  private loading: Promise<Readonly<Record<string, Device>>> | undefined;
  private loaded = false;
  private stopped = false;
  private readonly creating = new Map<string, Promise<Unit>>();
  private readonly listeners = new Set<CommandListener>();

  constructor(
    private readonly runtime: DomoticzRuntime,
    private readonly options: { folder: string; logger: Logger },
  ) {}

  load(): Promise<Readonly<Record<string, Device>>> {
    this.loading ??= this.announce().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async announce(): Promise<Readonly<Record<string, Device>>> {
    const { runtime } = this;
    const { logger, folder } = this.options;
    const stopping = () => this.stopped;
    const { hardwareId } = await untilAnswered(
      'hardware/announce',
      () =>
        runtime.request('hardware/announce', {
          plugin: folder,
          name: runtime.hardwareName,
          layout: 'extended',
          settings: {},
        }),
      logger,
      stopping,
    );
    runtime.hardwareId = hardwareId;
    const { devices } = await untilAnswered(
      'devices/list',
      () => runtime.request('devices/list', {}),
      logger,
      stopping,
    );
    loadDevices(runtime, devices);
    this.loaded = true;
    logger.debug({ hardwareId, devices: devices.length }, 'units loaded from the device registry');
    return runtime.devices.view;
  }

  async ensure(init: UnitInit): Promise<Unit> {
    await this.load();
    const existing = findUnit(this.runtime, init.deviceId, init.unit);
    const key = `${init.deviceId}\u0000${init.unit}`;
    const pending = this.creating.get(key);
    if (pending) return pending;
    if (existing) return existing as Unit;
    const unit = new Unit(init);
    const created = unit
      .create()
      .then(() => unit)
      .finally(() => this.creating.delete(key));
    this.creating.set(key, created);
    return created;
  }

  onCommand(listener: CommandListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A command the registry routed to one of the plugin's units. */
  dispatchCommand(command: PluginCommand): void {
    const { runtime } = this;
    if (this.listeners.size === 0) {
      this.options.logger.warn(
        { deviceId: command.deviceId, unit: command.unit, command: command.command },
        'a command arrived for a unit of this plugin, but it listens to none (extras.onCommand)',
      );
      return;
    }
    runtime.queue.push('onCommand', async () => {
      for (const listener of [...this.listeners]) {
        try {
          await listener(command);
        } catch (error) {
          runtime.reportCallbackError('onCommand', error);
        }
      }
    });
  }

  /** Keeps `devices` in step with changes made outside the plugin (bridge or HTTP API). */
  applyEvent(event: PluginEvent): void {
    if (!this.loaded) return;
    const { runtime } = this;
    if (event.type === 'device_added' || event.type === 'device_modified')
      runtime.queue.push('unit changed', () => void upsertUnit(runtime, event.record));
    else if (event.type === 'device_removed')
      runtime.queue.push('unit removed', () => removeUnit(runtime, event.deviceId, event.unit));
  }

  /** Stops taking commands; one that is running may finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    this.runtime.queue.close();
    await this.runtime.queue.idle();
  }
}
