import type { Energy, Logger, Reading } from '@wattbus/shared';
import { isConfigurationError } from '../configuration-error.js';
import type { RunningCallback } from '../domoticz/callback-queue.js';
import type { DomoticzRuntime } from '../domoticz/runtime.js';
import type { ParentLink } from '../host/parent-link.js';
import { LiveView } from './live-view.js';
import { PowerUnitsHost } from './power-units.js';
import { StopFlag } from './stop-flag.js';
import type { LiveEnergy, LiveReading, PluginConfig, PowerPlugin, PowerPluginExtras } from './types.js';

export interface PowerHostOptions {
  pluginId: string;
  /** The plugin folder, announced to the registry when the plugin uses units. */
  folder: string;
  /** The Domoticz runtime behind `extras.units`, `devices` and `Unit`. */
  runtime: DomoticzRuntime;
  config: PluginConfig;
  logger: Logger;
  link: ParentLink;
  /** How long to wait for the first (retained) reading before calling startPlugin. */
  firstReadingTimeoutMs?: number;
}

type Listener<T> = (value: T) => void | Promise<void>;

/**
 * Runs a power-monitor-style plugin: `startPlugin` gets the live reading, the stop flag, its config block and a
 * logger; `stopPlugin` runs on stop. Exceptions in listeners are logged and the plugin keeps running; an exception
 * from `startPlugin` ends the plugin process, so the supervisor restarts it.
 */
export class PowerHost {
  private readonly reading = new LiveView<Reading>('data');
  private readonly energy = new LiveView<Energy>('energy');
  private readonly stopFlag = new StopFlag();
  private readonly readingListeners = new Set<Listener<LiveReading>>();
  private readonly energyListeners = new Set<Listener<LiveEnergy>>();
  private readonly units: PowerUnitsHost;
  private main: Promise<void> | undefined;
  private firstReading: (() => void) | undefined;

  constructor(
    private readonly plugin: PowerPlugin,
    private readonly options: PowerHostOptions,
  ) {
    options.link.handlers.reading = (reading) => {
      this.reading.update(reading);
      this.firstReading?.();
      this.notify(this.readingListeners, this.reading.view as LiveReading, 'onReading');
    };
    options.link.handlers.energy = (energy) => {
      this.energy.update(energy);
      this.notify(this.energyListeners, this.energy.view as LiveEnergy, 'onEnergy');
    };
    this.units = new PowerUnitsHost(options.runtime, { folder: options.folder, logger: options.logger });
    options.link.handlers.command = (command) => this.units.dispatchCommand(command);
    options.link.handlers.event = (event) => this.units.applyEvent(event);
  }

  /** The command listener running now, for the supervisor's watchdog. */
  get currentCallback(): RunningCallback | undefined {
    return this.options.runtime.queue.current;
  }

  private notify<T>(listeners: Set<Listener<T>>, value: T, name: string): void {
    for (const listener of listeners) {
      try {
        const result = listener(value);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.reportListenerError(name, error));
      } catch (error) {
        this.reportListenerError(name, error);
      }
    }
  }

  private reportListenerError(name: string, error: unknown): void {
    this.options.logger.error({ err: error, callback: name }, `plugin ${name} listener failed`);
  }

  /**
   * Subscribes to readings and energy, waits briefly for the first reading so `data` is filled, then calls
   * startPlugin. Resolves once startPlugin has been called; `finished` settles when it returns or throws.
   */
  async start(): Promise<void> {
    const { link, logger } = this.options;
    const arrived = new Promise<void>((resolve) => {
      this.firstReading = resolve;
    });
    link.subscribe('readings', 'energy');
    const timeoutMs = this.options.firstReadingTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      arrived.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.firstReading = undefined;
    if (!waited)
      logger.warn(
        { waited_ms: timeoutMs },
        'no reading yet (is the sampler running?); starting the plugin with empty data',
      );
    const extras: PowerPluginExtras = {
      pluginId: this.options.pluginId,
      energy: this.energy.view as LiveEnergy,
      onReading: (listener) => {
        this.readingListeners.add(listener);
        return () => this.readingListeners.delete(listener);
      },
      onEnergy: (listener) => {
        this.energyListeners.add(listener);
        return () => this.energyListeners.delete(listener);
      },
      units: {
        load: () => this.units.load(),
        ensure: (init) => this.units.ensure(init),
      },
      onCommand: (listener) => this.units.onCommand(listener),
    };
    this.main = (async () => {
      await this.plugin.startPlugin(
        this.reading.view as LiveReading,
        this.stopFlag,
        this.options.config,
        logger,
        extras,
      );
    })();
    // A plugin checks its settings first thing: give startPlugin until its first real wait, so that a
    // configuration error fails the start (nothing is reported as started) instead of ending a running plugin.
    // Any other exception that early fails the start too: the plugin never ran, and reporting it started would
    // flap its state topic online at every attempt of a crash loop (the fault suite's crash-loop test).
    const early = await Promise.race([
      this.main.then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
      new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
    ]);
    if (early) throw isConfigurationError(early.error) ? early.error : startPluginThrew(early.error);
  }

  /** Settles when startPlugin returns (or rejects when it throws). */
  get finished(): Promise<void> {
    return this.main ?? Promise.resolve();
  }

  /** Sets the stop flag, calls stopPlugin, and waits for startPlugin to return. */
  async stop(): Promise<void> {
    this.stopFlag.set();
    this.readingListeners.clear();
    this.energyListeners.clear();
    await this.units.stop();
    try {
      await this.plugin.stopPlugin();
    } catch (error) {
      this.options.logger.error({ err: error }, 'stopPlugin() failed');
    }
    await this.main?.catch(() => {});
  }
}

/** An exception from `startPlugin` (not a configuration error) as the runner reports it: a crash, restarted. */
export function startPluginThrew(error: unknown): Error {
  return new Error(`startPlugin() threw: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
