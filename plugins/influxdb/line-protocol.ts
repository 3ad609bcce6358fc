/**
 * InfluxDB line protocol (1.x and 2.x alike): `measurement,tag=value field=value timestamp`.
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
 */

export interface Point {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Float fields; a value that is not finite is left out, since line protocol has no NaN or Infinity. */
  readonly fields: Readonly<Record<string, number>>;
  /** Milliseconds since the epoch (the writers ask for `precision=ms`). */
  readonly time: number;
}

const escapeMeasurement = (text: string) => text.replace(/[\\, ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
const escapeKey = (text: string) => text.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');

/** One point as a line, or undefined when it has no finite field (InfluxDB refuses a point without fields). */
export function formatLine(point: Point): string | undefined {
  const fields = Object.entries(point.fields)
    .filter(([, value]) => Number.isFinite(value))
    .map(([key, value]) => `${escapeKey(key)}=${value}`);
  if (fields.length === 0) return undefined;
  // Sorted tags are what InfluxDB stores anyway; sending them sorted saves it the work.
  const tags = Object.entries(point.tags)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `,${escapeKey(key)}=${escapeKey(value)}`)
    .join('');
  return `${escapeMeasurement(point.measurement)}${tags} ${fields.join(',')} ${Math.round(point.time)}`;
}
