import type { GroupCommit } from '../store/group-commit.js';
import type { OperationScope, Origin, RegistryContext } from './context.js';

/** Runs operations through group commit with the scope they need: the store, the outputs and their origin. */
export class RegistryCore {
  constructor(
    readonly context: RegistryContext,
    readonly commit: GroupCommit,
  ) {}

  run<T>(origin: Origin, write: boolean, operation: (scope: OperationScope) => T): Promise<T> {
    return this.commit.submit((afterCommit) => operation({ context: this.context, afterCommit, origin }), {
      write,
    });
  }

  get store() {
    return this.context.store;
  }
}
