import { z } from 'zod';

/** pino level names; the Python names of the reference's `log_level` (`DEBUG`, `WARNING`, ...) are accepted too. */
const PYTHON_LEVELS: Record<string, string> = { warning: 'warn', critical: 'fatal', notset: 'trace' };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const LogLevel = z
  .string()
  .transform((name) => {
    const lower = name.toLowerCase();
    return PYTHON_LEVELS[lower] ?? lower;
  })
  .pipe(
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')} (or DEBUG, WARNING, CRITICAL)` }),
  );
export type LogLevel = z.infer<typeof LogLevel>;

export const Port = z
  .number()
  .int('must be an integer')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');
/** A listener port where 0 turns the listener off. */
export const OptionalPort = Port;

export const Seconds = z.number().finite().nonnegative('must be zero or more seconds');

export const BaseTopic = z
  .string()
  .min(1, 'must not be empty')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is forbidden in MQTT topics
  .refine((t) => !/[+#\u0000]/.test(t), 'must not contain MQTT wildcards (+ or #) or NUL')
  .refine((t) => !t.startsWith('$'), 'must not start with "$" (reserved for broker topics)')
  .refine((t) => !t.startsWith('/') && !t.endsWith('/') && !t.includes('//'), 'must not have empty levels');

export const GeneralSection = z.strictObject({
  /** Site name; database writers use it as a tag. */
  name: z.string().min(1).default('default'),
  log_level: LogLevel.default('info'),
});
