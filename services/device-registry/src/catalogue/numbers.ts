const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A number as Domoticz writes it in sValue fields (`123`, `-4.5`, `1e3`), or undefined. No empty strings, no `NaN`. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Writes a computed value back into sValue. Rounded to 6 decimals so that sums of fractions
 * (0.1 + 0.2) never show floating-point noise in a stored counter.
 */
export function formatNumber(value: number): string {
  const rounded = Math.round(value * 1e6) / 1e6;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * The DATE field of managed counters and `AddDBLogEntry` history (`%Y-%m-%d` or `%Y-%m-%d %H:%M:%S`), read in the
 * registry's local time zone as Domoticz does. Returns the ISO-8601 UTC timestamp, or undefined.
 */
export function parseHistoryDate(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const match = DATE.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Reject dates that JavaScript silently rolls over (2024-02-31 becomes March 2).
  if (
    date.getFullYear() !== Number(y) ||
    date.getMonth() !== Number(mo) - 1 ||
    date.getDate() !== Number(d) ||
    date.getHours() !== Number(h) ||
    date.getMinutes() !== Number(mi)
  ) {
    return undefined;
  }
  return date.toISOString();
}
