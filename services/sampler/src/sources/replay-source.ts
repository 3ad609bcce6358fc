import { readFile } from 'node:fs/promises';
import { AdcFault } from '../adc/adc-bus.js';
import type { BatchLayout } from '../adc/mcp3008.js';
import {
  type Capture,
  CaptureError,
  captureBatches,
  captureReadRate,
  parseCapture,
} from '../capture/capture-csv.js';
import type { RawBatch } from '../raw-batch.js';
import type { BatchSource } from './batch-source.js';
import { sleep } from './timing.js';

/** Read rate assumed for a capture that records neither its rate nor its duration (the reference's typical). */
export const ASSUMED_READ_RATE = 20_000;

export interface ReplaySourceOptions {
  file: string;
  loop: boolean;
  pace?: boolean;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

/** Plays a capture file (power-calculation.md section 7) as consecutive batches, in real time. */
export class ReplaySource implements BatchSource {
  readonly kind = 'replay';
  readonly description: string;
  private capture: Capture | undefined;
  private batches: Generator<RawBatch> | undefined;
  private readRate = ASSUMED_READ_RATE;

  constructor(private readonly options: ReplaySourceOptions) {
    this.description = `capture ${options.file}`;
  }

  async open(): Promise<void> {
    // Already open: the service checks the capture before it starts (a bad file is a setting to fix), and the
    // sampling loop then opens the source again; reading and parsing it once is enough, and warns once.
    if (this.capture) return;
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      throw new AdcFault('open_failed', `cannot read ${this.options.file}: ${(error as Error).message}`);
    }
    try {
      this.capture = parseCapture(text, this.options.file);
    } catch (error) {
      if (error instanceof CaptureError) throw new AdcFault('open_failed', error.message);
      throw error;
    }
    const rate = captureReadRate(this.capture);
    if (rate === undefined) {
      this.options.onWarning?.(
        `${this.options.file} records neither Sample Rate nor Sample Duration; assuming ${ASSUMED_READ_RATE} reads/s`,
      );
    }
    this.readRate = rate ?? ASSUMED_READ_RATE;
    this.batches = undefined;
  }

  async read(layout: BatchLayout): Promise<RawBatch> {
    const capture = this.capture;
    if (!capture) throw new AdcFault('open_failed', `${this.options.file} is not open`);
    if (capture.channels.join(',') !== layout.channels.join(',')) {
      throw new AdcFault(
        'open_failed',
        `${this.options.file} holds channels [${capture.channels.join(', ')}] but the enabled channels are [${layout.channels.join(', ')}]`,
      );
    }
    const started = Date.now();
    this.batches ??= captureBatches(capture, layout.samples, this.readRate, started);
    let next = this.batches.next();
    if (next.done && this.options.loop) {
      this.batches = captureBatches(capture, layout.samples, this.readRate, started);
      next = this.batches.next();
    }
    if (next.done) {
      throw new AdcFault(
        'source_ended',
        capture.samples < layout.samples
          ? `${this.options.file} has ${capture.samples} samples per channel, fewer than one batch of ${layout.samples}`
          : `${this.options.file} has been played to its end`,
      );
    }
    const batch = { ...next.value, startedAt: started };
    if (this.options.pace !== false) await sleep(batch.duration * 1000, this.options.signal);
    return batch;
  }

  async close(): Promise<void> {
    this.capture = undefined;
    this.batches = undefined;
  }
}
