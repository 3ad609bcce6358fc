import type { RawBatch } from '../raw-batch.js';

/** Below this many counts peak to peak, the voltage input carries no AC wave (no transformer, broken wiring). */
export const FLAT_VOLTAGE_COUNTS = 20;

export interface VoltageWave {
  /** Peak-to-peak of every voltage read in the batch, in counts. */
  span: number;
  /** Times (seconds since the batch start) of the rising crossings of the wave's mid level. */
  crossings: number[];
  /** Mains frequency in Hz from the crossings, or undefined with fewer than two. */
  frequency: number | undefined;
}

/**
 * Finds the voltage wave's span, rising crossings and frequency in one pass over the voltage reads. Every
 * voltage read of the batch is used, whichever CT channel it follows, so the wave is sampled at half the read
 * rate. The mid level is halfway between the extremes; hysteresis of a twentieth of the span keeps noise near a
 * crossing from counting twice, and each crossing instant is interpolated linearly between the two reads that
 * straddle the level.
 */
export function analyseVoltage(batch: RawBatch): VoltageWave {
  const { reads, times } = batch;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let index = 1; index < reads.length; index += 2) {
    const v = reads[index]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = reads.length > 1 ? max - min : 0;
  const crossings: number[] = [];
  if (span >= FLAT_VOLTAGE_COUNTS) {
    const level = (max + min) / 2;
    const hysteresis = Math.max(2, span * 0.05);
    let armed = false;
    let previous = 0;
    for (let index = 1; index < reads.length; index += 2) {
      const x = reads[index]! - level;
      if (x < -hysteresis) armed = true;
      else if (armed && x >= 0 && index > 1) {
        const t0 = times[index - 2]!;
        crossings.push(t0 + ((0 - previous) / (x - previous)) * (times[index]! - t0));
        armed = false;
      }
      previous = x;
    }
  }
  let frequency: number | undefined;
  if (crossings.length >= 2) {
    const duration = crossings[crossings.length - 1]! - crossings[0]!;
    if (duration > 0) frequency = (crossings.length - 1) / duration;
  }
  return { span, crossings, frequency };
}

/** Peak-to-peak of every voltage read in the batch, in counts. */
export function voltageSpan(batch: RawBatch): number {
  return analyseVoltage(batch).span;
}

/** Mains frequency in Hz from the rising zero crossings, or undefined with fewer than two crossings. */
export function measureFrequency(batch: RawBatch): number | undefined {
  return analyseVoltage(batch).frequency;
}

/** Spacings equal to this relative tolerance count as even: a part per million of a read is far below noise. */
const UNIFORM = 1e-6;

/**
 * Estimates the voltage at the instant of every CT read from the voltage reads around it (cubic Lagrange
 * interpolation over the two voltage reads before and the two after, at their actual times). This removes the
 * reference's skew: its voltage sample comes one transfer after the CT sample.
 * `out[j]` is the voltage (counts) at the time of CT read `reads[2j]`.
 */
export function voltageAtCtReads(batch: RawBatch, out: Float64Array): Float64Array {
  const { reads, times } = batch;
  const count = reads.length >> 1;
  if (count < 4) {
    // Too few reads for a cubic: hold the neighbouring voltage read.
    for (let j = 0; j < count; j++) out[j] = reads[2 * j + 1]!;
    return out;
  }
  // Nodes: voltage reads j - 2 .. j + 1, shifted inward at the batch edges; they slide one read per step.
  let x0 = times[1]!;
  let x1 = times[3]!;
  let x2 = times[5]!;
  let x3 = times[7]!;
  let y0 = reads[1]!;
  let y1 = reads[3]!;
  let y2 = reads[5]!;
  let y3 = reads[7]!;
  for (let j = 0; j < count; j++) {
    if (j >= 3 && j <= count - 2) {
      x0 = x1;
      x1 = x2;
      x2 = x3;
      x3 = times[2 * j + 3]!;
      y0 = y1;
      y1 = y2;
      y2 = y3;
      y3 = reads[2 * j + 3]!;
    }
    const t = times[2 * j]!;
    const step = x2 - x1;
    if (Math.abs(x1 - x0 - step) <= UNIFORM * step && Math.abs(x3 - x2 - step) <= UNIFORM * step) {
      // Evenly spaced nodes (the usual case within one bus call): the weights depend on one ratio only.
      const a = (t - x1) / step;
      const ap = a + 1;
      const am = a - 1;
      const am2 = a - 2;
      out[j] = (-a * am * am2 * y0 + 3 * ap * am * am2 * y1 - 3 * ap * a * am2 * y2 + ap * a * am * y3) / 6;
      continue;
    }
    const d0 = t - x0;
    const d1 = t - x1;
    const d2 = t - x2;
    const d3 = t - x3;
    out[j] =
      (y0 * d1 * d2 * d3) / ((x0 - x1) * (x0 - x2) * (x0 - x3)) +
      (y1 * d0 * d2 * d3) / ((x1 - x0) * (x1 - x2) * (x1 - x3)) +
      (y2 * d0 * d1 * d3) / ((x2 - x0) * (x2 - x1) * (x2 - x3)) +
      (y3 * d0 * d1 * d2) / ((x3 - x0) * (x3 - x1) * (x3 - x2));
  }
  return out;
}

/**
 * Weights that cut a series of samples to a whole number of mains cycles. Each sample stands for the interval
 * halfway to its neighbours; the window starts where the first sample's interval starts and is `cycles / f`
 * long. Samples inside count 1, samples past the end 0, and the one the window ends in counts the fraction of
 * its interval inside, so the sums approximate integrals over whole cycles and window leakage vanishes.
 * Returns the index of the first sample with weight 0 (`end`) and the weight of sample `end - 1`.
 * With no usable frequency, or less than one cycle of data, every sample counts fully.
 */
export function wholeCycleWindow(
  timeOf: (index: number) => number,
  count: number,
  frequency: number | undefined,
): { end: number; lastWeight: number; cycles: number } {
  if (count < 2 || frequency === undefined || !(frequency > 0))
    return { end: count, lastWeight: 1, cycles: 0 };
  const first = timeOf(0);
  const last = timeOf(count - 1);
  const start = first - (timeOf(1) - first) / 2;
  const stop = last + (last - timeOf(count - 2)) / 2;
  const cycles = Math.floor((stop - start) * frequency + 1e-9);
  if (cycles < 1) return { end: count, lastWeight: 1, cycles: 0 };
  const windowEnd = start + cycles / frequency;
  // The sample whose interval contains windowEnd: intervals end halfway to the next sample.
  let index = count - 1;
  while (index > 0 && (timeOf(index - 1) + timeOf(index)) / 2 >= windowEnd) index--;
  const low = index === 0 ? start : (timeOf(index - 1) + timeOf(index)) / 2;
  const high = index === count - 1 ? stop : (timeOf(index) + timeOf(index + 1)) / 2;
  const lastWeight = Math.min(1, Math.max(0, (windowEnd - low) / (high - low)));
  return { end: index + 1, lastWeight, cycles };
}
