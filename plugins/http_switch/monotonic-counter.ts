/** What a MonotonicCounter keeps across restarts (in the plugin's Configuration). */
export interface CounterState {
  /** Added to the device's own counter: what it had counted before its resets. */
  offsetWh: number;
  /** The device's counter at the last reading. */
  lastRawWh: number;
}

const valid = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

/**
 * Turns a device counter that restarts from zero (a smart plug's energy counter resets when the plug reboots)
 * into one that never decreases, as a kWh unit and Home Assistant's Energy dashboard need.
 */
export class MonotonicCounter {
  private state: CounterState;

  /**
   * `floorWh` is the total already shown (the unit's stored energy): the total never goes below it, even when the
   * saved state is older than the last reading before a crash.
   */
  constructor(
    saved?: Partial<CounterState>,
    private floorWh = 0,
  ) {
    this.state = { offsetWh: valid(saved?.offsetWh), lastRawWh: valid(saved?.lastRawWh) };
    this.floorWh = valid(floorWh);
  }

  /** Takes a new raw reading; returns the continuous total in Wh and whether a reset was detected. */
  update(rawWh: number): { totalWh: number; reset: boolean } {
    const reset = rawWh < this.state.lastRawWh;
    if (reset) this.state.offsetWh += this.state.lastRawWh;
    this.state.lastRawWh = rawWh;
    if (this.state.offsetWh + rawWh < this.floorWh) this.state.offsetWh = this.floorWh - rawWh;
    const totalWh = this.state.offsetWh + rawWh;
    this.floorWh = totalWh;
    return { totalWh, reset };
  }

  get saved(): CounterState {
    return { ...this.state };
  }
}
