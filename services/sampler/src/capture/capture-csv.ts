import type { RawBatch } from '../raw-batch.js';

/** The board voltage a capture without a `Board Voltage` row is taken to have (power-calculation.md 7). */
export const DEFAULT_BOARD_VOLTAGE = 3.31;

/**
 * A raw capture (power-calculation.md section 7): the enabled channels and, per sample index, each channel's CT
 * and voltage counts in read order, plus the optional trailer rows.
 */
export interface Capture {
  channels: number[];
  /** Samples per channel (data rows). */
  samples: number;
  /** Row-major: for sample i, `ct, v` for each channel in header order (the batch read order). */
  reads: Uint16Array;
  /** `Sample Rate`: transfers per second, if recorded. */
  sampleRate: number | undefined;
  /** `Sample Duration` in seconds, if recorded. */
  sampleDuration: number | undefined;
  /** `Board Voltage` in volts; 3.31 when absent. */
  boardVoltage: number;
  boardVoltageRecorded: boolean;
}

/** A capture that cannot be read; the message names the line and what was wrong. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

const TRAILERS = {
  'sample rate': 'sampleRate',
  'sample duration': 'sampleDuration',
  'board voltage': 'board',
} as const;

function parseHeader(line: string, source: string): number[] {
  const cells = line.split(',').map((cell) => cell.trim());
  if (cells[0]?.toLowerCase() !== 'sample#') {
    throw new CaptureError(
      `${source}:1: the header must start with "Sample#", got ${JSON.stringify(cells[0])}`,
    );
  }
  const pairs = cells.slice(1);
  if (pairs.length === 0 || pairs.length % 2 !== 0) {
    throw new CaptureError(`${source}:1: the header must list ctN,vN pairs after "Sample#"`);
  }
  const channels: number[] = [];
  for (let index = 0; index < pairs.length; index += 2) {
    const ct = /^ct([1-6])$/i.exec(pairs[index]!);
    const v = /^v([1-6])$/i.exec(pairs[index + 1]!);
    if (!ct || !v || ct[1] !== v[1]) {
      throw new CaptureError(
        `${source}:1: expected a "ctN,vN" pair with N from 1 to 6, got "${pairs[index]},${pairs[index + 1]}"`,
      );
    }
    const channel = Number(ct[1]);
    if (channels.length > 0 && channel <= channels[channels.length - 1]!) {
      throw new CaptureError(`${source}:1: channels must be listed once each, in ascending order`);
    }
    channels.push(channel);
  }
  return channels;
}

function positiveNumber(text: string | undefined, what: string, where: string): number {
  const value = Number(text?.trim());
  if (!text || text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new CaptureError(`${where}: ${what} must be a number greater than 0, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses a capture CSV. `source` names the file in error messages. */
export function parseCapture(text: string, source = 'capture'): Capture {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw new CaptureError(`${source}: the file is empty`);
  const channels = parseHeader(lines[headerIndex]!, source);
  const width = 2 * channels.length;
  const values: number[] = [];
  let samples = 0;
  let sampleRate: number | undefined;
  let sampleDuration: number | undefined;
  let board: number | undefined;
  let trailer = false;
  for (let index = headerIndex + 1; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    const where = `${source}:${index + 1}`;
    const cells = line.split(',');
    const label = cells[0]!.trim().toLowerCase();
    if (label in TRAILERS) {
      trailer = true;
      if (cells.length !== 2) throw new CaptureError(`${where}: a "${cells[0]}" row has exactly one value`);
      const field = TRAILERS[label as keyof typeof TRAILERS];
      const value = positiveNumber(cells[1], cells[0]!.trim(), where);
      if (field === 'sampleRate') sampleRate = value;
      else if (field === 'sampleDuration') sampleDuration = value;
      else board = value;
      continue;
    }
    if (trailer) throw new CaptureError(`${where}: sample rows must come before the trailer rows`);
    if (cells.length !== width + 1) {
      throw new CaptureError(
        `${where}: expected ${width + 1} values (Sample# and ${width} counts), got ${cells.length}`,
      );
    }
    if (cells[0]!.trim() !== String(samples + 1)) {
      throw new CaptureError(
        `${where}: expected sample number ${samples + 1}, got ${JSON.stringify(cells[0])}`,
      );
    }
    for (let column = 1; column <= width; column++) {
      const cell = cells[column]!.trim();
      const count = /^\d{1,4}$/.test(cell) ? Number(cell) : Number.NaN;
      if (!(count >= 0 && count <= 1023)) {
        throw new CaptureError(
          `${where}: column ${column + 1} must be a whole count from 0 to 1023, got "${cell}"`,
        );
      }
      values.push(count);
    }
    samples++;
  }
  if (samples === 0) throw new CaptureError(`${source}: the capture has no sample rows`);
  return {
    channels,
    samples,
    reads: Uint16Array.from(values),
    sampleRate,
    sampleDuration,
    boardVoltage: board ?? DEFAULT_BOARD_VOLTAGE,
    boardVoltageRecorded: board !== undefined,
  };
}

/** Transfers per second of the capture: the recorded rate, else derived from the recorded duration. */
export function captureReadRate(capture: Capture): number | undefined {
  if (capture.sampleRate !== undefined) return capture.sampleRate;
  if (capture.sampleDuration !== undefined) return capture.reads.length / capture.sampleDuration;
  return undefined;
}

/**
 * Cuts a capture into consecutive batches of `samplesPerBatch` samples per channel; a shorter rest at the end is
 * left out. Reads are placed evenly at `readRate` transfers per second from the capture's start.
 */
export function* captureBatches(
  capture: Capture,
  samplesPerBatch: number,
  readRate: number,
  startedAt = 0,
): Generator<RawBatch & { offset: number }> {
  const width = 2 * capture.channels.length;
  const count = samplesPerBatch * width;
  for (let first = 0; first + samplesPerBatch <= capture.samples; first += samplesPerBatch) {
    const offset = (first * width) / readRate;
    const reads = capture.reads.slice(first * width, first * width + count);
    const times = new Float64Array(count);
    for (let index = 0; index < count; index++) times[index] = (index + 0.5) / readRate;
    yield {
      channels: capture.channels,
      samples: samplesPerBatch,
      reads,
      times,
      boardVoltage: capture.boardVoltage,
      startedAt: startedAt + offset * 1000,
      duration: count / readRate,
      offset,
    };
  }
}

/** Writes a batch as a capture CSV, with all three trailer rows. */
export function formatCapture(batch: RawBatch): string {
  const width = 2 * batch.channels.length;
  const lines = [
    ['Sample#', ...batch.channels.flatMap((channel) => [`ct${channel}`, `v${channel}`])].join(','),
  ];
  for (let sample = 0; sample < batch.samples; sample++) {
    const row = [String(sample + 1)];
    for (let column = 0; column < width; column++) row.push(String(batch.reads[sample * width + column]));
    lines.push(row.join(','));
  }
  const rate = batch.duration > 0 ? batch.reads.length / batch.duration : 0;
  lines.push(
    `Sample Rate,${rate}`,
    `Sample Duration,${batch.duration}`,
    `Board Voltage,${batch.boardVoltage}`,
  );
  return `${lines.join('\n')}\n`;
}
