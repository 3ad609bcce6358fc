import type { GroupCommit, Settle } from '../store/group-commit.js';
import type { OperationScope, Origin, RegistryContext } from './context.js';

/** Runs operations through group commit with the scope they need: the store, the outputs and their origin. */
export class RegistryCore {
  constructor(
    readonly context: RegistryContext,
    readonly commit: GroupCommit,
  ) {}

  run<T>(origin: Origin, write: boolean, operation: (scope: OperationScope) => T): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.runThen(origin, write, operation, (ok, valueOrError) =>
        ok ? resolve(valueOrError as T) : reject(valueOrError),
      ),
    );
  }

  /** `run` with a callback that is called synchronously once the operation's batch committed (or it was refused). */
  runThen<T>(
    origin: Origin,
    write: boolean,
    operation: (scope: OperationScope) => T,
    settle: Settle<T>,
  ): void {
    this.commit.submitThen(
      (afterCommit) => operation({ context: this.context, afterCommit, origin }),
      { write },
      settle,
    );
  }

  get store() {
    return this.context.store;
  }
}
