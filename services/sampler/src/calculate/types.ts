import type { GridVoltageSection } from '@wattbus/shared';

export type ChannelType = 'mains' | 'production' | 'consumption';

/** What the calculation needs of one enabled channel (a `[current_transformers.channel_N]` block). */
export interface ChannelSettings {
  number: number;
  type: ChannelType;
  rating: number;
  calibration: number;
  two_pole: boolean;
  reversed: boolean;
  amps_cutoff_threshold?: number | undefined;
  watts_cutoff_threshold?: number | undefined;
}

export interface CalculationSettings {
  grid: Pick<
    GridVoltageSection,
    'grid_voltage' | 'ac_transformer_output_voltage' | 'voltage_calibration' | 'frequency'
  >;
  /** Enabled channels in ascending order; must match the batch's channels. */
  channels: readonly ChannelSettings[];
}

/** One channel's figures for one batch: W, A, V and PF in [0, 1]. */
export interface ChannelFigures {
  power: number;
  current: number;
  voltage: number;
  pf: number;
}

export interface BatchFigures {
  /** Per enabled channel, keyed by channel number. */
  channels: Map<number, ChannelFigures>;
  /** Mains frequency from zero crossings (Hz), when the voltage wave allowed measuring it. */
  frequency: number | undefined;
  /** Peak-to-peak of the voltage samples in counts: a flat voltage channel means no AC transformer signal. */
  voltageSpan: number;
}
