import { ConfigError } from '@wattbus/shared/config/errors.js';

/**
 * A plugin's configuration is wrong: a missing or invalid key of its `[plugins.<id>]` block, a Domoticz definition
 * or parameter that does not validate. Restarting cannot fix it, so the runner does not retry: it reports
 * `plugin_failed` with `permanent: true`, logs the message at error level and exits with code 78. Plugins throw it
 * from `startPlugin` or `onStart` (the shared `ConfigError`, which `plugins/lib/plugin-config.ts` throws, counts too).
 */
export class PluginConfigurationError extends Error {
  /** Each problem on its own, e.g. `[plugins.relay] output_pin = (missing): is required`. */
  readonly problems: string[];

  constructor(problems: string | string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.name = 'PluginConfigurationError';
    this.problems = list;
  }
}

/** Whether `error` is a configuration error that no restart can fix. */
export function isConfigurationError(error: unknown): error is PluginConfigurationError | ConfigError {
  if (error instanceof PluginConfigurationError || error instanceof ConfigError) return true;
  // A plugin may carry its own copy of either class (a bundled dependency): recognise them by shape too.
  return (
    error instanceof Error &&
    (error.name === 'ConfigError' || error.name === 'PluginConfigurationError') &&
    Array.isArray((error as { problems?: unknown }).problems)
  );
}
