import type { RawBatch } from '../raw-batch.js';
import { postProcess, powerFactor, rootOfVariance } from './post-process.js';
import { currentScale, voltageScale } from './scale.js';
import type { BatchFigures, CalculationSettings, ChannelFigures } from './types.js';
import { analyseVoltage, voltageAtCtReads, wholeCycleWindow } from './voltage-wave.js';

/** Counts are centred before summing so that the covariance is not the small difference of two large numbers. */
const MID_SCALE = 512;

let scratch = new Float64Array(0);
function scratchFor(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(length);
  return scratch;
}

/**
 * `aligned` mode: the same figures as `compat`, without the reference's known errors.
 * - Read skew: the voltage at each CT read instant is interpolated from the voltage reads around it at their
 *   actual times (every voltage read of the batch, whichever channel it follows).
 * - Window leakage: sums run over a whole number of mains cycles, measured from the voltage zero crossings.
 * - The frequency comes from those zero crossings.
 * Post-processing (two_pole, reversed, sign, PF gate, cut-offs) is the reference's.
 */
export function calculateAligned(batch: RawBatch, settings: CalculationSettings): BatchFigures {
  const wave = analyseVoltage(batch);
  const frequency = wave.frequency ?? settings.grid.frequency;
  const kV = voltageScale(batch.boardVoltage, settings.grid);
  const voltage = rmsVoltage(batch, frequency) * kV;
  const voltageAtCt = voltageAtCtReads(batch, scratchFor(batch.reads.length >> 1));
  const channels = new Map<number, ChannelFigures>();
  settings.channels.forEach((channel, slot) => {
    const { reads, times } = batch;
    const m = batch.channels.length;
    const n = batch.samples;
    const window = wholeCycleWindow((i) => times[2 * (i * m + slot)]!, n, frequency);
    // Whole samples inside the window, then the one the window ends in (weighted), then the rest for the PF gate.
    const last = window.end - 1;
    let sumC = 0;
    let sumV = 0;
    let sumCV = 0;
    let sumCC = 0;
    let minC = Number.POSITIVE_INFINITY;
    let maxC = Number.NEGATIVE_INFINITY;
    for (let i = 0, j = slot; i < last; i++, j += m) {
      const raw = reads[2 * j]!;
      if (raw < minC) minC = raw;
      if (raw > maxC) maxC = raw;
      const c = raw - MID_SCALE;
      const v = voltageAtCt[j]! - MID_SCALE;
      sumC += c;
      sumV += v;
      sumCV += c * v;
      sumCC += c * c;
    }
    const w = window.lastWeight;
    const weight = last + w;
    for (let i = last, j = slot + last * m; i < n; i++, j += m) {
      const raw = reads[2 * j]!;
      if (raw < minC) minC = raw;
      if (raw > maxC) maxC = raw;
      if (i === last) {
        const c = raw - MID_SCALE;
        const v = voltageAtCt[j]! - MID_SCALE;
        sumC += w * c;
        sumV += w * v;
        sumCV += w * c * v;
        sumCC += w * c * c;
      }
    }
    const kI = currentScale(batch.boardVoltage, channel);
    const meanC = sumC / weight;
    const meanV = sumV / weight;
    const power = (sumCV / weight - meanC * meanV) * kI * kV;
    const current = rootOfVariance(sumCC / weight - meanC * meanC) * kI;
    const pf = powerFactor(power, voltage, current);
    channels.set(channel.number, postProcess({ power, current, voltage, pf }, maxC - minC, channel));
  });
  return { channels, frequency: wave.frequency, voltageSpan: wave.span };
}

/** RMS of the voltage wave over whole cycles, from every voltage read of the batch (counts). */
function rmsVoltage(batch: RawBatch, frequency: number): number {
  const { reads, times } = batch;
  const count = reads.length >> 1;
  const window = wholeCycleWindow((j) => times[2 * j + 1]!, count, frequency);
  let weight = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let j = 0; j < window.end; j++) {
    const v = reads[2 * j + 1]! - MID_SCALE;
    const w = j === window.end - 1 ? window.lastWeight : 1;
    weight += w;
    sum += w * v;
    sumSquares += w * v * v;
  }
  const mean = sum / weight;
  return rootOfVariance(sumSquares / weight - mean * mean);
}
