import type { Logger } from '@wattbus/shared';
import { RequestFailure } from '../store/group-commit.js';

/**
 * What a request's answer says about why it failed. A refusal (RequestFailure) gives its reason; anything else is a
 * bug, logged whole and answered by its message only, so no stack or internals leak to the client.
 */
export function failureMessage(
  error: unknown,
  logger: Logger | undefined,
  context: Record<string, unknown>,
): string {
  if (error instanceof RequestFailure) {
    logger?.debug({ ...context, error: error.message }, 'request refused');
    return error.message;
  }
  logger?.error({ ...context, err: error }, 'request failed unexpectedly');
  return `internal error: ${(error as Error).message}`;
}
