interface Window {
  started: number;
  count: number;
  suppressed: number;
}

/**
 * Limits log lines per key (e.g. per client address and kind of event), so a client sending garbage in a loop fills
 * neither the disk nor the journal. When a key is allowed again, the line says how many similar ones were dropped.
 */
export class LogThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly perWindow = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `write` with the number of suppressed lines since the last one written, unless over the limit. */
  run(key: string, write: (suppressed: number) => void): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.started >= this.windowMs) {
      if (!window && this.windows.size >= 1000) this.windows.clear();
      const suppressed = window?.suppressed ?? 0;
      window = { started: now, count: 0, suppressed: 0 };
      this.windows.set(key, window);
      window.count++;
      write(suppressed);
      return;
    }
    if (window.count < this.perWindow) {
      window.count++;
      write(0);
    } else {
      window.suppressed++;
    }
  }
}
