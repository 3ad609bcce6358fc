import type { ChannelFigures, ChannelSettings } from './types.js';

/** Below this many counts of CT swing the power factor is meaningless (power-calculation.md 2, step 4). */
export const PF_GATE_COUNTS = 20;
/** The sign of the current follows the power only with a real voltage, so no transformer means no flicker. */
const SIGN_VOLTAGE_GUARD = 10;

/**
 * The reference's post-processing steps 1-5, in order, applied to raw P, I, V and PF (PF computed before any
 * sign step). `ctSpan` is max(c) - min(c) of the channel's CT samples in counts.
 */
export function postProcess(
  raw: ChannelFigures,
  ctSpan: number,
  channel: Pick<
    ChannelSettings,
    'two_pole' | 'reversed' | 'amps_cutoff_threshold' | 'watts_cutoff_threshold'
  >,
): ChannelFigures {
  let { power, current, pf } = raw;
  const voltage = raw.voltage;
  if (channel.two_pole) power = 2 * power;
  if (channel.reversed) power = -power;
  if (power < 0 && voltage > SIGN_VOLTAGE_GUARD) current = -Math.abs(current);
  if (ctSpan < PF_GATE_COUNTS) pf = 0;
  if (channel.amps_cutoff_threshold !== undefined) {
    const threshold = channel.amps_cutoff_threshold;
    if (threshold !== 0 && Math.abs(current) < threshold) power = current = pf = 0;
  } else if (channel.watts_cutoff_threshold !== undefined) {
    const threshold = channel.watts_cutoff_threshold;
    if (threshold !== 0 && Math.abs(power) < threshold) power = current = pf = 0;
  }
  return { power, current, voltage, pf };
}

/** PF = |P / S| with S = V * I, and 0 when S is 0. */
export function powerFactor(power: number, voltage: number, current: number): number {
  const apparent = voltage * current;
  return apparent === 0 ? 0 : Math.abs(power / apparent);
}

/**
 * sqrt of a variance computed as E[x^2] - E[x]^2. Rounding can make a zero variance slightly negative; the
 * reference then crashes (math domain error), wattbus reads it as 0.
 */
export function rootOfVariance(variance: number): number {
  return variance > 0 ? Math.sqrt(variance) : 0;
}
