import { type Logger, pino } from 'pino';
import type { LogLevel } from '../config/sections/common.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Extra fields on every line, e.g. `{ plugin: 'power_devices' }`. */
  bindings?: Record<string, unknown>;
}

/**
 * JSON lines on stdout, one logger per process. Secrets never reach a log line: every field named like a password
 * or token is redacted wherever it appears.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service, ...options.bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', '*.*.password', 'token', '*.token', 'mqtt.password'],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  });
}
