/** Turns a pino JSON line into `12:00:01 INFO  message key=value`; other lines pass through unchanged. */
const LEVEL_NAMES: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = LEVEL_NAMES[String(entry.level)] ?? String(entry.level ?? '').toUpperCase();
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, level, entry.msg ?? '', ...fields].filter((part) => part !== '').join(' ');
}
