import type { Figures } from './aggregates.js';
import type { ChannelFigures, ChannelSettings } from './calculate/types.js';

/** The reference averages the last two batches (power-calculation.md section 4). */
export const SMOOTHING_WINDOW = 2;

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * A simple moving average of every figure over the last two batches. The first two batches only fill the
 * window; from the third on, each batch yields the average of itself and the one before. After averaging, a
 * mains channel whose average power is negative and average current positive gets its current negated.
 */
export class Smoother {
  private readonly window: Figures[] = [];
  private filled = 0;

  constructor(private readonly channels: readonly ChannelSettings[]) {}

  /** Adds a batch; returns the smoothed figures, or undefined while the window is still filling. */
  push(figures: Figures): Figures | undefined {
    this.window.push(figures);
    if (this.window.length > SMOOTHING_WINDOW) this.window.shift();
    this.filled++;
    if (this.filled <= SMOOTHING_WINDOW) return undefined;
    return this.average();
  }

  /** Forgets the window, e.g. after an ADC fault, so figures from before a gap never mix with new ones. */
  reset(): void {
    this.window.length = 0;
    this.filled = 0;
  }

  private average(): Figures {
    const window = this.window;
    const cts = new Map<number, ChannelFigures>();
    for (const channel of this.channels) {
      const entries = window.map((figures) => figures.cts.get(channel.number)).filter((f) => f !== undefined);
      if (entries.length === 0) continue;
      const averaged: ChannelFigures = {
        power: mean(entries.map((f) => f.power)),
        pf: mean(entries.map((f) => f.pf)),
        current: mean(entries.map((f) => f.current)),
        voltage: mean(entries.map((f) => f.voltage)),
      };
      if (channel.type === 'mains' && averaged.power < 0 && averaged.current > 0) {
        averaged.current = -averaged.current;
      }
      cts.set(channel.number, averaged);
    }
    const frequencies = window.map((f) => f.frequency).filter((f) => f !== undefined);
    return {
      cts,
      production: {
        power: mean(window.map((f) => f.production.power)),
        pf: mean(window.map((f) => f.production.pf)),
        current: mean(window.map((f) => f.production.current)),
      },
      home: {
        power: mean(window.map((f) => f.home.power)),
        current: mean(window.map((f) => f.home.current)),
      },
      net: {
        power: mean(window.map((f) => f.net.power)),
        current: mean(window.map((f) => f.net.current)),
      },
      voltage: mean(window.map((f) => f.voltage)),
      frequency: frequencies.length > 0 ? mean(frequencies) : undefined,
    };
  }
}
