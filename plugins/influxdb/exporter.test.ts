import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InfluxExporter } from './exporter.js';
import type { Point } from './line-protocol.js';
import { PointBuffer } from './point-buffer.js';
import { InfluxError, type InfluxWriter } from './writers.js';

/** A writer whose answers the test scripts: each call takes the next outcome, then succeeds. */
class ScriptedWriter implements InfluxWriter {
  readonly description = 'test database';
  readonly writes: string[][] = [];
  prepared = 0;
  constructor(private readonly outcomes: (InfluxError | 'ok')[] = []) {}
  async prepare(): Promise<string[]> {
    this.prepared++;
    return [];
  }
  async write(lines: readonly string[]): Promise<void> {
    const outcome = this.outcomes.shift() ?? 'ok';
    if (outcome !== 'ok') throw outcome;
    this.writes.push([...lines]);
  }
}

function capture() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const point = (time: number): Point => ({
  measurement: 'home_load',
  tags: { id: 'home' },
  fields: { power: time },
  time,
});
const points = (from: number, count: number) => Array.from({ length: count }, (_, i) => point(from + i));
const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const options = { batchSize: 3, maxBatch: 4, maxRetryDelayMs: 40, firstRetryDelayMs: 10 };

describe('InfluxExporter', () => {
  it('writes once a batch is full, in requests of at most maxBatch points', async () => {
    const writer = new ScriptedWriter();
    const { logger } = capture();
    const exporter = new InfluxExporter(writer, new PointBuffer(100), options, logger);
    exporter.add(points(1, 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writer.writes).toEqual([]);
    exporter.add(points(3, 4));
    await until(() => exporter.written === 4);
    expect(writer.writes).toEqual([
      [
        'home_load,id=home power=1 1',
        'home_load,id=home power=2 2',
        'home_load,id=home power=3 3',
        'home_load,id=home power=4 4',
      ],
    ]);
    expect(writer.prepared).toBe(1);
    expect(await exporter.stop()).toBe(0);
    expect(exporter.written).toBe(6);
  });

  it('keeps the points through failed writes and writes them in order once the database answers', async () => {
    const down = new InfluxError('write failed: unreachable', true);
    const writer = new ScriptedWriter([down, down, down]);
    const { logger, lines } = capture();
    const exporter = new InfluxExporter(writer, new PointBuffer(100), options, logger);
    exporter.add(points(1, 3));
    await until(() => exporter.written === 3);
    expect(writer.writes.flat()).toHaveLength(3);
    expect(lines.filter((line) => line.msg.includes('retrying'))).toHaveLength(3);
    expect(lines.some((line) => line.msg.includes('is back'))).toBe(true);
    await exporter.stop();
  });

  it('drops and counts points the database refuses, and goes on', async () => {
    const writer = new ScriptedWriter([
      new InfluxError('write refused with HTTP 400: field type conflict', false, 400),
    ]);
    const { logger, lines } = capture();
    const buffer = new PointBuffer(100);
    const exporter = new InfluxExporter(writer, buffer, options, logger);
    exporter.add(points(1, 3));
    await until(() => buffer.dropped === 3);
    exporter.add(points(4, 3));
    await until(() => exporter.written === 3);
    const refused = lines.find((line) => line.msg.includes('refused 3 points'));
    expect(refused).toMatchObject({ level: 50, dropped_total: 3 });
    await exporter.stop();
  });

  it('logs points dropped from a full buffer with their count, never silently', async () => {
    const writer = new ScriptedWriter(
      Array.from({ length: 1000 }, () => new InfluxError('unreachable', true)),
    );
    const { logger, lines } = capture();
    const buffer = new PointBuffer(5);
    const exporter = new InfluxExporter(writer, buffer, { ...options, maxBatch: 5 }, logger);
    exporter.add(points(1, 4));
    exporter.add(points(5, 4));
    expect(buffer.dropped).toBe(3);
    const stoppedWith = await exporter.stop();
    expect(stoppedWith).toBe(5);
    const report = lines.find((line) => line.msg.includes('dropped the'));
    expect(report).toMatchObject({ level: 50, dropped: 3, dropped_total: 3, buffer_size: 5 });
  });

  it('creates the database again when it disappeared (404)', async () => {
    const writer = new ScriptedWriter([
      new InfluxError('write refused with HTTP 404: database not found', true, 404),
    ]);
    const { logger } = capture();
    const exporter = new InfluxExporter(writer, new PointBuffer(100), options, logger);
    exporter.add(points(1, 3));
    await until(() => exporter.written === 3);
    expect(writer.prepared).toBe(2);
    await exporter.stop();
  });
});
