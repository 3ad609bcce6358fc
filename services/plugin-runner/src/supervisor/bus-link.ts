import {
  type BridgeSettings,
  type Bus,
  createPluginRequestClient,
  type Energy,
  type Logger,
  type PluginCommand,
  type PluginEvent,
  type PluginLifecycle,
  type PluginRequest,
  type PluginRequestClient,
  type PluginRequestOp,
  pluginRequests,
  type Reading,
  RequestError,
  type ServiceState,
  topics,
} from '@wattbus/shared';
import type { Feed } from '../ipc/messages.js';
import { type Forward, type Forwarded, UpdateBatcher } from './update-batcher.js';

export interface BusLinkHandlers {
  reading(reading: Reading): void;
  energy(energy: Energy): void;
  settings(settings: BridgeSettings): void;
  command(command: PluginCommand): void;
  event(event: PluginEvent): void;
}

/** A registry request that failed; `timedOut` when nobody answered (the registry may not be running). */
export interface RequestFailure {
  error: string;
  timedOut: boolean;
}

/**
 * The supervisor's use of the bus on behalf of one plugin: its feeds (readings, energy, settings), its commands
 * and events from the registry, its requests to the registry, its lifecycle notices and its state topic.
 */
export class PluginBusLink {
  private readonly requests: PluginRequestClient;
  private readonly updates: UpdateBatcher;
  private readonly feeds = new Set<Feed>();
  private readonly latest: { reading?: Reading; energy?: Energy; settings?: BridgeSettings } = {};

  constructor(
    private readonly bus: Bus,
    private readonly hw: string,
    private readonly logger: Logger,
    private readonly handlers: BusLinkHandlers,
  ) {
    this.requests = createPluginRequestClient(bus, hw);
    this.updates = new UpdateBatcher(this.forward);
  }

  /** Commands and events are always subscribed: the registry routes them whether or not the plugin is up. */
  start(): void {
    const { bus, hw } = this;
    bus.subscribe(
      topics.pluginCommand,
      { hw },
      (command, _params, meta) => {
        // A retained command would be replayed at every subscribe; a command is an action, not a state.
        if (meta.retain) {
          this.logger.warn({ topic: meta.topic }, 'ignored a retained command');
          return;
        }
        this.handlers.command(command);
      },
      (error, meta) => this.logger.warn({ topic: meta.topic, error }, 'rejected an invalid command'),
    );
    bus.subscribe(
      topics.pluginEvent,
      { hw },
      (event, _params, meta) => {
        if (meta.retain) {
          this.logger.warn({ topic: meta.topic }, 'ignored a retained plugin event');
          return;
        }
        this.handlers.event(event);
      },
      (error, meta) => this.logger.warn({ topic: meta.topic, error }, 'rejected an invalid plugin event'),
    );
  }

  /** Subscribes to a feed once; returns its latest value so a (re)started plugin gets it at once. */
  ensureFeed(feed: Feed): void {
    if (this.feeds.has(feed)) return;
    this.feeds.add(feed);
    const { bus } = this;
    if (feed === 'readings') {
      bus.subscribe(topics.readings, {}, (reading) => {
        this.latest.reading = reading;
        this.handlers.reading(reading);
      });
    } else if (feed === 'energy') {
      bus.subscribe(topics.energy, {}, (energy) => {
        this.latest.energy = energy;
        this.handlers.energy(energy);
      });
    } else {
      bus.subscribe(topics.bridgeSettings, {}, (settings) => {
        this.latest.settings = settings;
        this.handlers.settings(settings);
      });
    }
  }

  latestOf(feed: Feed): Reading | Energy | BridgeSettings | undefined {
    if (feed === 'readings') return this.latest.reading;
    if (feed === 'energy') return this.latest.energy;
    return this.latest.settings;
  }

  /**
   * Forwards a plugin request to the registry; the response's data, or why it failed. Unit updates go through the
   * batcher; any other request first sends the updates queued before it, so the registry sees them in order.
   */
  request(op: string, payload: Record<string, unknown>): Promise<Forwarded> {
    if (!Object.hasOwn(pluginRequests, op)) {
      return Promise.resolve({
        error: `unknown request ${JSON.stringify(op)}; known: ${Object.keys(pluginRequests).join(', ')}`,
        timedOut: false,
      });
    }
    if (op === 'unit/update') return this.updates.add(payload as PluginRequest<'unit/update'>);
    this.updates.flush();
    return this.forward(op as PluginRequestOp, payload as never);
  }

  private readonly forward: Forward = async (op, payload) => {
    try {
      return { data: await this.requests.request(op, payload) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        error: message,
        timedOut: error instanceof RequestError && error.timedOut,
      };
    }
  };

  lifecycle(type: PluginLifecycle['type'], data: Record<string, unknown>): void {
    this.bus
      .publish(topics.pluginLifecycle, { hw: this.hw }, { type, data })
      .catch((error: unknown) =>
        this.logger.warn({ err: (error as Error).message, type }, 'could not publish lifecycle notice'),
      );
  }

  setState(state: ServiceState): void {
    this.bus
      .setState(state)
      .catch((error: unknown) =>
        this.logger.warn({ err: (error as Error).message }, 'could not publish state'),
      );
  }

  cancelRequests(reason: string): void {
    this.updates.cancel(reason);
    this.requests.cancelAll(reason);
  }
}
