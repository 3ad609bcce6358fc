import type { Logger, PluginResponseData, UnitsUpdateRequest, UnitUpdateResult } from '@wattbus/shared';
import type { z } from 'zod';
import { pluginOperations } from '../registry/plugin-operations.js';
import type { RegistryCore } from '../registry/registry-core.js';
import type { Settle } from '../store/group-commit.js';
import { failureMessage } from './failure-message.js';

export type BatchedUpdates = z.output<typeof UnitsUpdateRequest>;
type BatchAnswer = PluginResponseData<'units/update'>;

/**
 * `units/update`: each update is queued as its own `unit/update`, all in one turn, so they share a group commit and
 * each one is refused alone (unknown unit, an sValue that does not fit the type) without touching the others. The
 * request is answered once, when the last of them has settled, which is after the commit: every result without an
 * error is durable.
 */
export function runBatchedUpdates(
  core: RegistryCore,
  hardware: string,
  updates: BatchedUpdates['updates'],
  settle: Settle<BatchAnswer>,
  logger?: Logger,
): void {
  const operation = pluginOperations['unit/update'];
  const results: UnitUpdateResult[] = new Array(updates.length);
  let waiting = updates.length;
  updates.forEach((update, index) => {
    core.runThen(
      'plugin',
      operation.write,
      (scope) => operation.run(scope, hardware, update),
      (ok, valueOrError) => {
        results[index] = ok
          ? (valueOrError as UnitUpdateResult)
          : {
              error: failureMessage(valueOrError, logger, {
                hardware,
                op: 'units/update',
                deviceId: update.deviceId,
                unit: update.unit,
              }),
            };
        if (--waiting === 0) settle(true, { results });
      },
    );
  });
}

/**
 * The answer without the unit records, for when it would not fit one message: the results (changed or refused)
 * still say what happened to each update, and the runner asks `unit/refresh` for the records it needs.
 */
export function withoutUnitRecords(answer: BatchAnswer): BatchAnswer {
  return {
    results: answer.results.map((result) => ('error' in result ? result : { changed: result.changed })),
  };
}
