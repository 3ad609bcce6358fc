import type { GridVoltageSection } from '@wattbus/shared';

/** The board rail is read through a divide-by-2 against a nominal 3.31 V reference (power-calculation.md 1). */
export const BOARD_READS = 11;
export const BOARD_INPUT = 4;
export const VOLTAGE_INPUT = 5;
/** MCP3008 input of each board channel CT1..CT6. */
export const CT_INPUTS = [0, 1, 2, 3, 6, 7] as const;

export function ctInput(channel: number): number {
  const input = CT_INPUTS[channel - 1];
  if (input === undefined) throw new RangeError(`CT channel must be 1-6, got ${channel}`);
  return input;
}

/** B in volts from the sum of the board readings, in the reference's operation order. */
export function boardVoltage(sumOfReadings: number, count: number): number {
  const mean = sumOfReadings / count;
  return (mean / 1024) * 3.31 * 2;
}

export interface ChannelScaleSettings {
  rating: number;
  calibration: number;
}

/** K_I, amps per count: `((q * calibration) * rating) * 0.88` with q = B / 1024. */
export function currentScale(board: number, channel: ChannelScaleSettings): number {
  const q = board / 1024;
  return q * channel.calibration * channel.rating * 0.88;
}

/** K_V, volts per count: `(q * ((grid_voltage / ac_transformer_output_voltage) * 11)) * voltage_calibration`. */
export function voltageScale(
  board: number,
  grid: Pick<GridVoltageSection, 'grid_voltage' | 'ac_transformer_output_voltage' | 'voltage_calibration'>,
): number {
  const q = board / 1024;
  return q * ((grid.grid_voltage / grid.ac_transformer_output_voltage) * 11) * grid.voltage_calibration;
}
