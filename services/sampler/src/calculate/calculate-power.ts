import type { RawBatch } from '../raw-batch.js';
import { calculateAligned } from './aligned.js';
import { calculateCompat } from './compat.js';
import type { BatchFigures, CalculationSettings } from './types.js';

export type CalculationMode = 'aligned' | 'compat';

/** Per-channel figures for one batch in the chosen mode. The batch's channels must be the settings' channels. */
export function calculatePower(
  batch: RawBatch,
  settings: CalculationSettings,
  mode: CalculationMode,
): BatchFigures {
  const expected = settings.channels.map((channel) => channel.number);
  if (expected.length !== batch.channels.length || expected.some((n, i) => batch.channels[i] !== n)) {
    throw new Error(
      `batch channels [${batch.channels.join(', ')}] do not match the enabled channels [${expected.join(', ')}]`,
    );
  }
  return mode === 'compat' ? calculateCompat(batch, settings) : calculateAligned(batch, settings);
}
