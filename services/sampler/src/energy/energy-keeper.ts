import { type Bus, type Logger, topics } from '@wattbus/shared';
import type { Figures } from '../aggregates.js';
import { BatchClock, EnergyCounters } from './energy-counters.js';
import type { EnergyStore } from './energy-store.js';

export interface EnergyKeeperOptions {
  channels: readonly number[];
  store: EnergyStore;
  bus: Pick<Bus, 'publish' | 'subscribe' | 'waitUntilConnected'>;
  persistInterval: number;
  publishInterval: number;
  /** How long to wait after connecting for the broker's retained counters before publishing our own. */
  retainedWait?: number;
  logger: Logger;
}

/**
 * Owns the energy counters: integrates every batch, saves them on an interval and at shutdown, and publishes
 * them retained on `<base>/energy`.
 *
 * Counters must never go backwards on the bus, even after a crash that lost the last interval on disk (or a new
 * container without the old volume). So before its first publication the sampler reads the broker's retained
 * counters and continues from the larger of those and the file, counter by counter.
 */
export class EnergyKeeper {
  readonly counters: EnergyCounters;
  private readonly clock = new BatchClock();
  private timers: NodeJS.Timeout[] = [];
  private synced = false;
  private stopped = false;

  constructor(private readonly options: EnergyKeeperOptions) {
    this.counters = new EnergyCounters(options.channels, options.store.load());
  }

  start(): void {
    const persist = setInterval(() => this.save(), this.options.persistInterval * 1000);
    const publish = setInterval(() => {
      if (this.synced) void this.publish();
    }, this.options.publishInterval * 1000);
    this.timers.push(persist, publish);
    void this.syncWithRetained();
  }

  /** Integrates one batch's unsmoothed power. */
  add(figures: Figures, startedAt: number, duration: number): void {
    this.counters.add(figures, this.clock.next(startedAt, duration));
  }

  /** After a gap in sampling, the next batch counts only for itself. */
  gap(): void {
    this.clock.reset();
  }

  save(): boolean {
    return this.options.store.save(this.counters.totals());
  }

  async publish(): Promise<void> {
    try {
      await this.options.bus.publish(topics.energy, {}, this.counters.payload(new Date().toISOString()));
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'could not publish the energy counters');
    }
  }

  private async syncWithRetained(): Promise<void> {
    const { bus, logger } = this.options;
    let resolveRetained: () => void = () => {};
    const retained = new Promise<void>((resolve) => {
      resolveRetained = resolve;
    });
    const unsubscribe = bus.subscribe(topics.energy, {}, (payload, _params, meta) => {
      if (this.synced || !meta.retain) return;
      this.counters.raiseTo(payload);
      logger.info('continuing from the energy counters retained on the broker where they are higher');
      resolveRetained();
    });
    while (!this.stopped) {
      try {
        await bus.waitUntilConnected(5000);
        break;
      } catch {
        // Keep integrating; publish once the broker is there.
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      retained,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, (this.options.retainedWait ?? 2) * 1000);
      }),
    ]);
    clearTimeout(timer);
    unsubscribe();
    if (this.stopped) return;
    this.synced = true;
    await this.publish();
  }

  /** Saves and, when the retained counters were read, publishes a last time. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.save();
    if (!this.synced) return;
    let timer: NodeJS.Timeout | undefined;
    // A broker that is down at shutdown must not hold the process: the counters are on disk.
    await Promise.race([this.publish(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }
}
