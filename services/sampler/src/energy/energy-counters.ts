import type { Energy, EnergyCounter } from '@wattbus/shared';
import type { Figures } from '../aggregates.js';

type ChannelKey = keyof Energy['cts'];

function zero(): EnergyCounter {
  return { import_wh: 0, export_wh: 0 };
}

function addPower(counter: EnergyCounter, watts: number, seconds: number): void {
  if (!Number.isFinite(watts)) return;
  const wattHours = (watts * seconds) / 3600;
  if (wattHours > 0) counter.import_wh += wattHours;
  else if (wattHours < 0) counter.export_wh -= wattHours;
}

function raise(counter: EnergyCounter, other: EnergyCounter | undefined): void {
  if (!other) return;
  counter.import_wh = Math.max(counter.import_wh, other.import_wh);
  counter.export_wh = Math.max(counter.export_wh, other.export_wh);
}

/** Counters as stored and published: the `<base>/energy` payload without its timestamp. */
export type EnergyTotals = Omit<Energy, 'timestamp'>;

/**
 * Cumulative Wh counters per channel and for home, production and net: `import_wh` integrates the positive part
 * of the power, `export_wh` the magnitude of the negative part. They only ever grow.
 */
export class EnergyCounters {
  private readonly cts = new Map<number, EnergyCounter>();
  private home = zero();
  private production = zero();
  private net = zero();

  constructor(
    private readonly channels: readonly number[],
    initial?: EnergyTotals,
  ) {
    for (const channel of channels) this.cts.set(channel, zero());
    if (initial) this.raiseTo(initial);
  }

  private counterOf(channel: number): EnergyCounter {
    let counter = this.cts.get(channel);
    if (!counter) {
      counter = zero();
      this.cts.set(channel, counter);
    }
    return counter;
  }

  /** Adds `seconds` of the batch's (unsmoothed) power. */
  add(figures: Figures, seconds: number): void {
    if (!(seconds > 0)) return;
    for (const [channel, channelFigures] of figures.cts) {
      addPower(this.counterOf(channel), channelFigures.power, seconds);
    }
    addPower(this.home, figures.home.power, seconds);
    addPower(this.production, figures.production.power, seconds);
    addPower(this.net, figures.net.power, seconds);
  }

  /** Takes, counter by counter, the larger of these and `other`: never lowers anything. */
  raiseTo(other: EnergyTotals): void {
    for (const [key, counter] of Object.entries(other.cts)) {
      raise(this.counterOf(Number(key)), counter);
    }
    raise(this.home, other.home);
    raise(this.production, other.production);
    raise(this.net, other.net);
  }

  /** Every counter, including channels no longer enabled (kept so that re-enabling one continues it). */
  totals(): EnergyTotals {
    return this.snapshot([...this.cts.keys()].sort((a, b) => a - b));
  }

  /** The published payload: only the enabled channels. */
  payload(timestamp: string): Energy {
    return { ...this.snapshot(this.channels), timestamp };
  }

  private snapshot(channels: readonly number[]): EnergyTotals {
    const cts: Energy['cts'] = {};
    for (const channel of channels) {
      const counter = this.cts.get(channel);
      if (counter) cts[String(channel) as ChannelKey] = { ...counter };
    }
    return { cts, home: { ...this.home }, production: { ...this.production }, net: { ...this.net } };
  }
}

/**
 * How long each batch's power counts for: from the previous batch's midpoint to this one's, so consecutive
 * batches tile time without gaps or overlaps. The first batch, and one after a gap (an ADC fault, a restart),
 * counts only for its own duration: energy in a gap is unknown and is not invented.
 */
export class BatchClock {
  private previousMid: number | undefined;

  constructor(private readonly minimumGapSeconds = 5) {}

  /** Seconds to integrate for a batch that started at `startedAt` (epoch ms) and sampled for `duration` s. */
  next(startedAt: number, duration: number): number {
    const mid = startedAt / 1000 + duration / 2;
    const previous = this.previousMid;
    this.previousMid = mid;
    if (previous === undefined) return duration;
    const elapsed = mid - previous;
    const limit = Math.max(this.minimumGapSeconds, 3 * duration);
    return elapsed > 0 && elapsed <= limit ? elapsed : duration;
  }

  /** Forgets the previous batch (after a fault). */
  reset(): void {
    this.previousMid = undefined;
  }
}
