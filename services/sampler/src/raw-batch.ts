/**
 * One batch of raw ADC samples: N samples per enabled CT channel, read in the reference's interleaved order
 * (power-calculation.md section 1): for sample i, for each enabled channel in ascending order, the CT input and
 * then the voltage input. Every source (hardware, emulator, replay) produces this shape.
 */
export interface RawBatch {
  /** Enabled channel numbers (1-6), ascending: the order of the reads. */
  readonly channels: readonly number[];
  /** Samples per channel (N). */
  readonly samples: number;
  /**
   * All 2 * channels * N conversions in acquisition order. With m channels and j = i * m + s (sample i of the
   * channel in slot s), `reads[2j]` is that CT sample and `reads[2j + 1]` the voltage sample read right after it.
   */
  readonly reads: Uint16Array;
  /** When each read happened, in seconds since the batch started sampling (same indexing as `reads`). */
  readonly times: Float64Array;
  /** Board rail voltage B from the reads of input 4 before the batch. */
  readonly boardVoltage: number;
  /** UTC start of the batch in epoch milliseconds, taken before sampling. */
  readonly startedAt: number;
  /** Sampling duration in seconds. */
  readonly duration: number;
}

/** Reads per second the batch actually had. */
export function readRate(batch: RawBatch): number {
  return batch.duration > 0 ? batch.reads.length / batch.duration : 0;
}

/** Times for reads evenly spaced at `rate` transfers per second, each taken at the middle of its transfer. */
export function evenReadTimes(count: number, rate: number): Float64Array {
  const times = new Float64Array(count);
  for (let index = 0; index < count; index++) times[index] = (index + 0.5) / rate;
  return times;
}
