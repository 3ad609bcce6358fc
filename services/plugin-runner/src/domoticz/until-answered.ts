import type { Logger } from '@wattbus/shared';
import { RegistryRequestError } from '../host/parent-link.js';

const RETRY_LIMIT_MS = 5000;

/**
 * Runs a registry request until the registry answers it: a plugin may start before the registry does. A refusal
 * (the registry answered "no") is thrown at once, and so is a timeout once `stopping()` says the plugin stops.
 */
export async function untilAnswered<T>(
  operation: string,
  run: () => Promise<T>,
  logger: Logger,
  stopping: () => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof RegistryRequestError && error.timedOut) || stopping()) throw error;
      const level = attempt === 1 ? 'warn' : 'debug';
      logger[level]({ operation, attempt }, `no answer from the device registry to ${operation}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, RETRY_LIMIT_MS)));
    }
  }
}
