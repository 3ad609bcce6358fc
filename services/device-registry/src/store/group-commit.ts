import { describeStorageError, isStorageError } from './database.js';
import type { RegistryStore } from './registry-store.js';

/** A request that is refused with a reason. Thrown before the operation changes anything. */
export class RequestFailure extends Error {
  constructor(
    message: string,
    /** `not_found` lets the HTTP API answer 404 instead of 400. */
    readonly kind: 'invalid' | 'not_found' | 'conflict' | 'unavailable' = 'invalid',
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}

/** The database refused a commit (full, read-only, I/O error): nothing of the batch was stored. */
export class StorageFailure extends RequestFailure {
  constructor(reason: string) {
    super(`storage unavailable, nothing was changed: ${reason}`, 'unavailable');
    this.name = 'StorageFailure';
  }
}

/** What an operation wants done once its changes are committed: publish state, send events. */
export type AfterCommit = (action: () => void) => void;

export type Operation<T> = (afterCommit: AfterCommit) => T;

/** How a queued operation learns its outcome: `ok` with the value, or not with the error. */
export type Settle<T> = (ok: boolean, valueOrError: T | unknown) => void;

interface Queued {
  run: Operation<unknown>;
  write: boolean;
  settle: Settle<unknown>;
}

type Outcome = { ok: true; value: unknown; actions: (() => void)[] } | { ok: false; error: unknown };

export interface GroupCommitHooks {
  /** After every batch that committed (or had no writes), so publishers can send what the batch coalesced. */
  onBatchDone?(): void;
  onStorageError?(reason: string): void;
  onStorageRecovered?(): void;
  /** An after-commit action or onBatchDone threw: reported, never allowed to stop the other acknowledgements. */
  onActionError?(error: unknown): void;
}

/**
 * Group commit: operations submitted while a burst arrives are applied in order inside one SQLite transaction, and
 * every one is acknowledged (its promise settles) only after that transaction committed. One sync per burst
 * instead of one per change is what makes tens of thousands of durable updates per second possible.
 *
 * An operation refused with a RequestFailure changes nothing and fails alone. A storage error fails the whole
 * batch with nothing stored; any other error (a bug) makes each operation of the batch run again on its own, so
 * only the faulty one fails.
 */
export class GroupCommit {
  private queue: Queued[] = [];
  private scheduled = false;
  private degraded = false;

  constructor(
    private readonly store: RegistryStore,
    private readonly maxBatch: number,
    private readonly hooks: GroupCommitHooks = {},
    /** Why the store is read-only, when it is: the reason given to refused writes. */
    private readonly readOnlyReason = 'the database is open read-only',
  ) {}

  get isDegraded(): boolean {
    return this.degraded || this.store.readOnly;
  }

  /** Queues an operation; `write: false` marks one that only reads (it still runs in order with the writes). */
  submit<T>(run: Operation<T>, options: { write?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(run, options.write ?? true, (ok, valueOrError) =>
        ok ? resolve(valueOrError as T) : reject(valueOrError),
      );
    });
  }

  /**
   * Like `submit`, but `settle` is called synchronously once the operation's batch committed (or the operation was
   * refused), after the batch's after-commit actions and `onBatchDone`. The hot path of plugin requests uses it,
   * so that a burst's answers are written together and in the same turn as its commit.
   */
  submitThen<T>(run: Operation<T>, options: { write?: boolean }, settle: Settle<T>): void {
    this.enqueue(run, options.write ?? true, settle as Settle<unknown>);
  }

  private enqueue(run: Operation<unknown>, write: boolean, settle: Settle<unknown>): void {
    this.queue.push({ run, write, settle });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Applies everything queued now (tests and shutdown use it to settle all pending operations). */
  flush(): void {
    this.scheduled = false;
    const settled: Queued[] = [];
    const outcomes: Outcome[] = [];
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch, settled, outcomes);
    }
    const done = this.hooks.onBatchDone;
    if (done) this.guard(done);
    // Answers go out after what the batch publishes (unit states), as they always did: a client that reads the
    // state once its update is acknowledged finds the new one.
    for (let i = 0; i < settled.length; i++) {
      const outcome = outcomes[i]!;
      try {
        if (outcome.ok) settled[i]!.settle(true, outcome.value);
        else settled[i]!.settle(false, outcome.error);
      } catch (error) {
        this.hooks.onActionError?.(error);
      }
    }
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.hooks.onActionError?.(error);
    }
  }

  private runBatch(batch: Queued[], settled: Queued[], outcomes: Outcome[]): void {
    const finish = (results: Outcome[]) => this.afterCommit(batch, results, settled, outcomes);
    if (!batch.some((operation) => operation.write)) {
      finish(batch.map((operation) => this.runOne(operation)));
      return;
    }
    if (this.store.readOnly) {
      finish(batch.map((operation) => this.runWithoutDatabase(operation)));
      return;
    }
    let results: Outcome[];
    try {
      results = this.store.transaction(() => batch.map((operation) => this.runOne(operation)));
    } catch (error) {
      if (isStorageError(error)) {
        this.enterDegraded(describeStorageError(error));
        // Reads still work from memory; writes of this batch were all rolled back.
        finish(batch.map((operation) => this.runWithoutDatabase(operation)));
        return;
      }
      finish(batch.map((operation) => this.runAlone(operation)));
      return;
    }
    this.leaveDegraded();
    finish(results);
  }

  private runOne(operation: Queued): Outcome {
    const actions: (() => void)[] = [];
    const before = this.store.changeCount;
    try {
      const value = operation.run((action) => actions.push(action));
      return { ok: true, value, actions };
    } catch (error) {
      // A refusal must leave no change behind; if one did, it is a bug: abort the batch so it is rolled back.
      if (error instanceof RequestFailure && this.store.changeCount === before) return { ok: false, error };
      throw error;
    }
  }

  private runAlone(operation: Queued): Outcome {
    if (!operation.write) {
      try {
        return this.runOne(operation);
      } catch (error) {
        return { ok: false, error };
      }
    }
    try {
      return this.store.transaction(() => this.runOne(operation));
    } catch (error) {
      if (isStorageError(error)) this.enterDegraded(describeStorageError(error));
      return {
        ok: false,
        error: isStorageError(error) ? new StorageFailure(describeStorageError(error)) : error,
      };
    }
  }

  /** While storage refuses writes: reads are answered, writes are refused with the reason. */
  private runWithoutDatabase(operation: Queued): Outcome {
    if (operation.write) {
      return { ok: false, error: new StorageFailure(this.degradedReason ?? this.readOnlyReason) };
    }
    try {
      return this.runOne(operation);
    } catch (error) {
      return { ok: false, error };
    }
  }

  private degradedReason: string | undefined;

  private enterDegraded(reason: string): void {
    this.degradedReason = reason;
    if (this.degraded) return;
    this.degraded = true;
    this.hooks.onStorageError?.(reason);
  }

  private leaveDegraded(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.degradedReason = undefined;
    this.hooks.onStorageRecovered?.();
  }

  /** Runs the committed operations' actions in order and queues their settlement for the end of the flush. */
  private afterCommit(batch: Queued[], results: Outcome[], settled: Queued[], outcomes: Outcome[]): void {
    for (let i = 0; i < batch.length; i++) {
      const outcome = results[i]!;
      if (outcome.ok) for (const action of outcome.actions) this.guard(action);
      settled.push(batch[i]!);
      outcomes.push(outcome);
    }
  }
}
