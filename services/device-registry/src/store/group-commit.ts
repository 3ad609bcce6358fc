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

interface Queued {
  run: Operation<unknown>;
  write: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
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
      this.queue.push({
        run,
        write: options.write ?? true,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies everything queued now (tests and shutdown use it to settle all pending operations). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
    const done = this.hooks.onBatchDone;
    if (done) this.guard(done);
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.hooks.onActionError?.(error);
    }
  }

  private runBatch(batch: Queued[]): void {
    if (!batch.some((operation) => operation.write)) {
      this.settleAll(
        batch,
        batch.map((operation) => this.runOne(operation)),
      );
      return;
    }
    if (this.store.readOnly) {
      this.settleAll(
        batch,
        batch.map((operation) => this.runWithoutDatabase(operation)),
      );
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.store.transaction(() => batch.map((operation) => this.runOne(operation)));
    } catch (error) {
      if (isStorageError(error)) {
        this.enterDegraded(describeStorageError(error));
        // Reads still work from memory; writes of this batch were all rolled back.
        this.settleAll(
          batch,
          batch.map((operation) => this.runWithoutDatabase(operation)),
        );
        return;
      }
      this.settleAll(
        batch,
        batch.map((operation) => this.runAlone(operation)),
      );
      return;
    }
    this.leaveDegraded();
    this.settleAll(batch, outcomes);
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

  private settleAll(batch: Queued[], outcomes: Outcome[]): void {
    for (let i = 0; i < batch.length; i++) {
      const operation = batch[i]!;
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        operation.reject(outcome.error);
        continue;
      }
      for (const action of outcome.actions) this.guard(action);
      operation.resolve(outcome.value);
    }
  }
}
