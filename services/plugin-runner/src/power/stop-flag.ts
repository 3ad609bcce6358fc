/**
 * The power monitor's `stop_flag`: set once when the runner stops the plugin. A plugin loops
 * `while (!stopFlag.isSet())`, passes `stopFlag.signal` to anything that takes an AbortSignal (fetch, timers,
 * sockets), or awaits `stopFlag.wait()`.
 */
export class StopFlag {
  readonly #controller = new AbortController();
  readonly #stopped: Promise<void>;

  constructor() {
    this.#stopped = new Promise((resolve) => {
      this.#controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  isSet(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Aborted when the flag is set. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Resolves when the flag is set (at once if it already is). */
  wait(): Promise<void> {
    return this.#stopped;
  }

  /** Sets the flag. The runner does this on stop; a plugin may too, to end its own loops. */
  set(): void {
    if (!this.isSet()) this.#controller.abort(new Error('the plugin is stopping'));
  }
}

/**
 * The power monitor's `sleep_for(seconds, stop_flag)`: waits `seconds`, or less when the stop flag is set in the
 * meantime. Resolves `true` when the wait was cut short by the stop flag, `false` after the full wait.
 */
export function sleepFor(seconds: number, stopFlag: StopFlag): Promise<boolean> {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return Promise.reject(new RangeError(`sleepFor needs a number of seconds >= 0, got ${String(seconds)}`));
  }
  if (stopFlag.isSet()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onStop = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      stopFlag.signal.removeEventListener('abort', onStop);
      resolve(false);
    }, seconds * 1000);
    stopFlag.signal.addEventListener('abort', onStop, { once: true });
  });
}
