export type WatchdogVerdict =
  | { blocked: false }
  | {
      blocked: true;
      /** The callback the plugin was in, when it said so. */
      callback: string | undefined;
      /** How long it has been stuck. */
      seconds: number;
      reason: string;
    };

/**
 * Decides from the plugin process's answers to pings whether it is stuck. Two cases: the process stops answering
 * (its event loop is blocked by synchronous code), or it answers but reports being inside the same callback for too
 * long (an awaited promise that never settles).
 */
export class Watchdog {
  private lastPongAt: number;
  private callback: string | undefined;
  private callbackSince: number | undefined;

  constructor(
    private readonly timeoutSeconds: number,
    now: number,
  ) {
    this.lastPongAt = now;
  }

  get enabled(): boolean {
    return this.timeoutSeconds > 0;
  }

  onPong(now: number, callback?: string, since?: number): void {
    this.lastPongAt = now;
    this.callback = callback;
    this.callbackSince = callback === undefined ? undefined : (since ?? now);
  }

  check(now: number): WatchdogVerdict {
    if (!this.enabled) return { blocked: false };
    const limitMs = this.timeoutSeconds * 1000;
    const silentMs = now - this.lastPongAt;
    if (silentMs > limitMs) {
      const seconds = Math.round(silentMs / 100) / 10;
      const where = this.callback ? ` (last seen in ${this.callback})` : '';
      return {
        blocked: true,
        callback: this.callback,
        seconds,
        reason: `the plugin process has not answered for ${seconds} s${where}: its event loop is blocked`,
      };
    }
    if (this.callback !== undefined && this.callbackSince !== undefined) {
      const insideMs = now - this.callbackSince;
      if (insideMs > limitMs) {
        const seconds = Math.round(insideMs / 100) / 10;
        return {
          blocked: true,
          callback: this.callback,
          seconds,
          reason: `the plugin has been inside ${this.callback} for ${seconds} s`,
        };
      }
    }
    return { blocked: false };
  }
}
