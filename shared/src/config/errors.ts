/** A configuration problem. Its message names the key, the value, where the value came from, and the rule. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** sysexits.h EX_CONFIG: container supervisors and `npm start` can tell a bad setting from a crash. */
export const EXIT_CONFIG = 78;

/**
 * Reports a configuration error and exits non-zero. Any other error is rethrown: it is a bug, and its stack matters.
 * Uses stderr directly because the logger's level itself may be the bad setting.
 */
export function exitOnConfigError(error: unknown, service: string): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${service}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw error;
}
