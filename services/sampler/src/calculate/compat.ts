import type { RawBatch } from '../raw-batch.js';
import { postProcess, powerFactor, rootOfVariance } from './post-process.js';
import { currentScale, voltageScale } from './scale.js';
import type { BatchFigures, CalculationSettings, ChannelFigures, ChannelSettings } from './types.js';
import { analyseVoltage } from './voltage-wave.js';

/**
 * `compat` mode: power-calculation.md section 2 with the reference's exact operation order, so that on the same
 * raw samples every figure is bit-identical to the reference's. Integer sums are exact in doubles; each division,
 * product and square root below is one IEEE operation in the order the spec gives.
 */
export function calculateCompat(batch: RawBatch, settings: CalculationSettings): BatchFigures {
  const channels = new Map<number, ChannelFigures>();
  const kV = voltageScale(batch.boardVoltage, settings.grid);
  settings.channels.forEach((channel, slot) => {
    channels.set(channel.number, compatChannel(batch, slot, channel, kV));
  });
  const wave = analyseVoltage(batch);
  return { channels, frequency: wave.frequency, voltageSpan: wave.span };
}

function compatChannel(batch: RawBatch, slot: number, channel: ChannelSettings, kV: number): ChannelFigures {
  const { reads, samples: n } = batch;
  const stride = 2 * batch.channels.length;
  let sumC = 0;
  let sumV = 0;
  let sumCV = 0;
  let sumCC = 0;
  let sumVV = 0;
  let minC = Number.POSITIVE_INFINITY;
  let maxC = Number.NEGATIVE_INFINITY;
  for (let index = 2 * slot, end = stride * n; index < end; index += stride) {
    const c = reads[index]!;
    const v = reads[index + 1]!;
    sumC += c;
    sumV += v;
    sumCV += c * v;
    sumCC += c * c;
    sumVV += v * v;
    if (c < minC) minC = c;
    if (c > maxC) maxC = c;
  }
  const kI = currentScale(batch.boardVoltage, channel);
  const meanC = sumC / n;
  const meanV = sumV / n;
  const power = (sumCV / n - meanC * meanV) * kI * kV;
  const current = rootOfVariance(sumCC / n - meanC * meanC) * kI;
  const voltage = rootOfVariance(sumVV / n - meanV * meanV) * kV;
  const pf = powerFactor(power, voltage, current);
  return postProcess({ power, current, voltage, pf }, maxC - minC, channel);
}
