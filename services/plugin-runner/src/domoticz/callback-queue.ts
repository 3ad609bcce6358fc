export interface RunningCallback {
  name: string;
  /** Epoch milliseconds. */
  since: number;
}

interface QueuedCallback {
  name: string;
  run: () => unknown;
}

/**
 * Runs plugin callbacks one at a time, in the order they were queued, never concurrently: the next starts only
 * when the previous has returned (or its promise settled). An exception is reported and the queue goes on.
 */
export class CallbackQueue {
  private readonly items: QueuedCallback[] = [];
  private running: RunningCallback | undefined;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly onError: (name: string, error: unknown) => void,
    private readonly trace?: (message: string, depth: number) => void,
  ) {}

  /** The callback running now, for the supervisor's watchdog. */
  get current(): RunningCallback | undefined {
    return this.running;
  }

  get length(): number {
    return this.items.length;
  }

  push(name: string, run: () => unknown): void {
    if (this.closed) return;
    this.items.push({ name, run });
    this.trace?.(`queued ${name}`, this.items.length);
    if (!this.draining) {
      // Start on a microtask: a callback is never run inside the code that queued it.
      this.draining = true;
      queueMicrotask(() => void this.drain());
    }
  }

  /** Stops accepting callbacks; those already queued still run. */
  close(): void {
    this.closed = true;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const item = this.items.shift()!;
      this.running = { name: item.name, since: Date.now() };
      try {
        const result = item.run();
        if (
          result !== null &&
          typeof result === 'object' &&
          typeof (result as Promise<unknown>).then === 'function'
        ) {
          await result;
        }
      } catch (error) {
        this.onError(item.name, error);
      }
      this.running = undefined;
    }
    this.draining = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
