import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError, exitOnConfigError } from '../config/errors.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import type { WattbusConfig } from '../config/schema.js';
import { describeZodError } from '../contract/payload.js';
import { createLogger, type Logger } from '../log/logger.js';

export interface ServiceContext {
  config: WattbusConfig;
  loaded: LoadedConfig;
  logger: Logger;
}

/** Stops the service: closes connections, flushes state. */
export type Stop = () => Promise<void>;

export interface ServiceOptions {
  /** How long a stop may take before the process exits anyway. */
  stopTimeoutMs?: number;
  /** The --config path from the command line, if any. */
  configPath?: string;
}

/**
 * The common frame of every service's entry file: load and validate config (exit 78 with the reason when it is
 * bad), create the logger, run `main`, and stop cleanly on SIGINT/SIGTERM. A second signal exits at once.
 * Unexpected errors are logged with their stack before the process exits non-zero, so a supervisor restarts it.
 */
export async function runService(
  service: string,
  main: (context: ServiceContext) => Promise<Stop>,
  options: ServiceOptions = {},
): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ path: options.configPath });
  } catch (error) {
    exitOnConfigError(error, service);
  }
  const logger = createLogger({ service, level: loaded.config.general.log_level });
  for (const warning of loaded.warnings) logger.warn(warning);

  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting so the supervisor restarts the service');
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason : String(reason) }, 'unhandled promise rejection');
  });

  // Signals are handled from the first moment: one that arrives while the service is still starting stops it as
  // soon as start-up has finished (or at the deadline), instead of killing it without cleanup.
  let stop: Stop | undefined;
  let stopping = false;
  const stopNow = () => {
    const deadline = setTimeout(() => {
      logger.error('stop took too long; exiting');
      process.exit(1);
    }, options.stopTimeoutMs ?? 10_000);
    deadline.unref();
    if (!stop) return;
    stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, stop ? 'stopping' : 'stopping once start-up has finished');
    stopNow();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    stop = await main({ config: loaded.config, loaded, logger });
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(error, service);
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
  if (stopping) stopNow();
}

type ArgsConfig = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/**
 * Parses command-line arguments strictly and validates the values with a zod schema. A bad argument prints
 * what was wrong and the usage text, then exits 64 (EX_USAGE).
 */
export function parseCommandLine<Schema extends z.ZodType>(
  argv: string[],
  options: ArgsConfig,
  schema: Schema,
  usage: string,
): z.infer<Schema> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
  } catch (error) {
    return usageError((error as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const parsed = schema.safeParse({ ...values, positionals });
  if (!parsed.success) return usageError(describeZodError(parsed.error), usage);
  return parsed.data;
}

function usageError(message: string, usage: string): never {
  process.stderr.write(`error: ${message}\n\n${usage}\n`);
  process.exit(64);
}
