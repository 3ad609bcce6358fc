import type { FigureKind } from './config.js';
import type { Figure } from './figures.js';

interface Published {
  value: number;
  at: number;
}

/**
 * Decides which figures a refresh publishes: a figure goes out the first time, when it has moved by at least its
 * kind's threshold since it was last published, or when `maxPublishSeconds` have passed since then. The comparison
 * is against the last published value, so a slow drift is published once it adds up to the threshold.
 */
export class Deadband {
  private readonly published = new Map<string, Published>();

  constructor(
    private readonly thresholds: Readonly<Record<FigureKind, number>>,
    private readonly maxPublishSeconds: number,
  ) {}

  /** The figures due now; they count as published at `now` (milliseconds). */
  due(figures: readonly Figure[], now: number): Figure[] {
    const due = figures.filter((figure) => {
      const last = this.published.get(figure.path);
      if (!last) return true;
      if (now - last.at >= this.maxPublishSeconds * 1000) return true;
      return Math.abs(figure.value - last.value) >= this.thresholds[figure.kind];
    });
    for (const figure of due) this.published.set(figure.path, { value: figure.value, at: now });
    return due;
  }

  /** Forgets everything, so the next refresh publishes every figure (after a reconnect, say). */
  reset(): void {
    this.published.clear();
  }
}
