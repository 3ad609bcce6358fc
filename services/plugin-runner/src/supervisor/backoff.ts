/**
 * Restart delays for a crashing plugin: `initial`, then doubling up to `max`. A plugin that ran for `resetAfter`
 * seconds without crashing starts again from `initial`, so one crash a week never waits five minutes.
 */
export class RestartBackoff {
  private failures = 0;

  constructor(
    private readonly initialSeconds: number,
    private readonly maxSeconds: number,
    private readonly resetAfterSeconds: number,
  ) {}

  /** The delay before the next restart, given how long the plugin ran (seconds) before this crash. */
  next(ranForSeconds: number): number {
    if (ranForSeconds >= this.resetAfterSeconds) this.failures = 0;
    const delay = Math.min(
      this.initialSeconds * 2 ** this.failures,
      Math.max(this.maxSeconds, this.initialSeconds),
    );
    this.failures++;
    return delay;
  }

  /** Consecutive crashes counted so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
