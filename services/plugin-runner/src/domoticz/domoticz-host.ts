import { statSync } from 'node:fs';
import { sep } from 'node:path';
import type { Logger, PluginSection } from '@wattbus/shared';
import { isConfigurationError } from '../configuration-error.js';
import type { ParentLink } from '../host/parent-link.js';
import type { RunningCallback } from './callback-queue.js';
import { validateDefinition } from './definition.js';
import { loadDevices } from './device-table.js';
import { dispatchCommand, dispatchEvent } from './dispatch.js';
import { buildParameters, resolveParameters, storableSettings } from './parameters.js';
import { DEBUG, DomoticzRuntime, installRuntime, type JsonValue, registrations } from './runtime.js';
import { untilAnswered } from './until-answered.js';

export interface DomoticzHostOptions {
  pluginId: string;
  /** The plugin folder (with no trailing separator). */
  pluginDir: string;
  folder: string;
  block: PluginSection;
  logger: Logger;
  link: ParentLink;
  runnerVersion: string;
  /** The file the plugin was loaded from, for messages. */
  entry: string;
}

const SETTINGS_WAIT_MS = 2000;

/**
 * Runs a Domoticz-style plugin: validates its definition and parameters, announces the hardware to the registry,
 * loads its devices and configuration, calls onStart, then feeds it commands, events, heartbeats and (when it
 * asks) readings, all through one serialised callback queue.
 */
export class DomoticzHost {
  readonly runtime: DomoticzRuntime;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatPending = false;
  /** Feed callbacks queued and not yet run: a slow plugin gets the newest value, not a backlog. */
  private readonly feedPending = new Set<'onReading' | 'onEnergy'>();
  /** Feed callbacks start after onStart, like every other callback. */
  private feedsOpen = false;
  private stopping = false;

  /** Creates the runtime before the plugin module is imported, so module-level code can use the API. */
  constructor(private readonly options: DomoticzHostOptions) {
    const name =
      typeof options.block.name === 'string' && options.block.name ? options.block.name : options.pluginId;
    this.runtime = new DomoticzRuntime(options.pluginId, name, options.logger, {
      request: (op, payload) => options.link.request(op, payload),
      subscribe: (feed) => options.link.subscribe(feed),
    });
    installRuntime(this.runtime);
  }

  get currentCallback(): RunningCallback | undefined {
    return this.runtime.queue.current;
  }

  async start(exports: Record<string, unknown>): Promise<void> {
    const { runtime } = this;
    const { block, pluginId, logger, link } = this.options;
    const definition = validateDefinition(exports.definition, this.options.entry);
    runtime.layout = definition.layout;
    runtime.exports = exports;
    if (definition.layout === 'legacy' && (registrations.device || registrations.unit)) {
      logger.warn(
        'register({ device, unit }) applies to the extended layout; this plugin uses the legacy layout',
      );
    }
    if (definition.layout === 'extended' && registrations.legacyDevice) {
      logger.warn(
        'register({ legacyDevice }) applies to the legacy layout; this plugin uses the extended layout',
      );
    }
    const resolved = resolveParameters(definition, block, pluginId);
    if (resolved.unknownKeys.length > 0) {
      logger.warn(
        { keys: resolved.unknownKeys },
        `[plugins.${pluginId}] has keys that are not parameters of plugin ${definition.key}; they are ignored: ${resolved.unknownKeys.join(', ')}`,
      );
    }

    let settingsArrived: () => void = () => {};
    const firstSettings = new Promise<void>((resolve) => {
      settingsArrived = resolve;
    });
    link.handlers.settings = (settings) => {
      runtime.replaceSettings(settings);
      settingsArrived();
    };
    link.handlers.command = (command) => dispatchCommand(runtime, command);
    link.handlers.event = (event) => dispatchEvent(runtime, event);
    link.handlers.reading = (reading) => {
      runtime.reading.update(reading);
      this.queueFeedCallback('onReading');
    };
    link.handlers.energy = (energy) => {
      runtime.energy.update(energy);
      this.queueFeedCallback('onEnergy');
    };
    link.subscribe('settings');
    if (typeof exports.onReading === 'function') link.subscribe('readings');
    if (typeof exports.onEnergy === 'function') link.subscribe('energy');

    const { hardwareId } = await this.untilAnswered('hardware/announce', () =>
      runtime.request('hardware/announce', {
        plugin: this.options.folder,
        name: runtime.hardwareName,
        layout: definition.layout,
        settings: storableSettings(definition, resolved.values),
      }),
    );
    runtime.hardwareId = hardwareId;
    runtime.parameters = buildParameters(definition, resolved.values, block, {
      pluginId,
      homeFolder: `${this.options.pluginDir}${sep}`,
      hardwareId,
      runnerVersion: this.options.runnerVersion,
      buildTime: buildTime(),
      language: runtime.settings.map.get('Language') ?? 'en',
    });
    const { devices } = await this.untilAnswered('devices/list', () => runtime.request('devices/list', {}));
    loadDevices(runtime, devices);
    const { configuration } = await this.untilAnswered('config/get', () => runtime.request('config/get', {}));
    runtime.configuration = configuration as Record<string, JsonValue>;
    // Settings are "always available" in Domoticz: give the registry's retained map a moment to arrive.
    await Promise.race([firstSettings, new Promise((resolve) => setTimeout(resolve, SETTINGS_WAIT_MS))]);
    runtime.trace(
      DEBUG.framework,
      { hardwareId, devices: devices.length },
      'devices loaded; calling onStart',
    );

    // A configuration error thrown by onStart ends the start (and the plugin, for good); any other exception is
    // logged and the plugin keeps running, as in Domoticz.
    let configurationError: unknown;
    const onStart = exports.onStart;
    if (typeof onStart === 'function') {
      runtime.queue.push('onStart', async () => {
        try {
          await onStart.call(exports);
        } catch (error) {
          if (!isConfigurationError(error)) throw error;
          configurationError = error;
        }
      });
    }
    this.feedsOpen = true;
    if (runtime.reading.value) this.queueFeedCallback('onReading');
    if (runtime.energy.value) this.queueFeedCallback('onEnergy');
    await runtime.queue.idle();
    if (configurationError) {
      this.stopping = true;
      throw configurationError;
    }
    runtime.onHeartbeatChange = () => this.scheduleHeartbeat();
    this.scheduleHeartbeat();
  }

  private queueFeedCallback(name: 'onReading' | 'onEnergy'): void {
    const callback = this.runtime.exports[name];
    if (!this.feedsOpen || typeof callback !== 'function' || this.feedPending.has(name)) return;
    this.feedPending.add(name);
    const view = name === 'onReading' ? this.runtime.reading.view : this.runtime.energy.view;
    this.runtime.queue.push(name, () => {
      this.feedPending.delete(name);
      return callback.call(this.runtime.exports, view);
    });
  }

  /** Registry requests made before onStart wait for a registry that is not up yet, instead of failing. */
  private untilAnswered<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return untilAnswered(operation, run, this.options.logger, () => this.stopping);
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    if (this.stopping) return;
    this.heartbeatTimer = setTimeout(() => {
      this.beat();
      this.scheduleHeartbeat();
    }, this.runtime.heartbeatSeconds * 1000);
  }

  /** One onHeartbeat at a time in the queue: a slow plugin gets the next beat, not a backlog. */
  private beat(): void {
    const onHeartbeat = this.runtime.exports.onHeartbeat;
    if (typeof onHeartbeat !== 'function' || this.heartbeatPending) return;
    this.heartbeatPending = true;
    this.runtime.queue.push('onHeartbeat', () => {
      this.heartbeatPending = false;
      return onHeartbeat.call(this.runtime.exports);
    });
  }

  /** Calls onStop after the callbacks already queued, then closes every connection the plugin left open. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.heartbeatTimer);
    this.runtime.queueCallback('onStop', this.runtime.exports, []);
    this.runtime.queue.close();
    await this.runtime.queue.idle();
    for (const connection of [...this.runtime.connections]) connection.shutdown();
  }
}

function buildTime(): string {
  try {
    return statSync(new URL(import.meta.url)).mtime.toISOString();
  } catch {
    return '';
  }
}
