import type { GridVoltageSection } from '@wattbus/shared';
import type { CalculationSettings, ChannelSettings } from '../calculate/types.js';
import { emulatorScale } from '../sources/simulated-source.js';
import { Mcp3008 } from './mcp3008.js';
import { type EmulatedCurrent, type EmulatorOptions, Mcp3008Emulator } from './mcp3008-emulator.js';

export interface EmulatedBoardOptions {
  grid?: Partial<GridVoltageSection>;
  channels: readonly (Partial<ChannelSettings> & { number: number; current?: EmulatedCurrent })[];
  readRate: number;
  volts?: number;
  frequency?: number;
  noise?: number;
  seed?: number;
  transfersPerCall?: number;
  emulator?: Partial<EmulatorOptions>;
}

/**
 * An MCP3008 emulator with the real driver on top and the calculation settings that match it: the board of the
 * accuracy tests and the benchmarks.
 */
export function emulatedBoard(options: EmulatedBoardOptions): {
  emulator: Mcp3008Emulator;
  adc: Mcp3008;
  settings: CalculationSettings;
  layout: { channels: number[]; samples: number };
} {
  const grid = {
    grid_voltage: 240,
    ac_transformer_output_voltage: 10.2,
    voltage_calibration: 1,
    frequency: 50 as 50 | 60,
    ...options.grid,
  };
  const channels: ChannelSettings[] = options.channels.map((channel) => ({
    type: 'consumption',
    rating: 30,
    calibration: 1,
    two_pole: false,
    reversed: false,
    ...channel,
  }));
  const currents: Record<number, EmulatedCurrent> = {};
  for (const channel of options.channels) if (channel.current) currents[channel.number] = channel.current;
  const emulator = new Mcp3008Emulator({
    readRate: options.readRate,
    scale: emulatorScale(grid, channels),
    scene: {
      frequency: options.frequency ?? grid.frequency,
      volts: options.volts ?? grid.grid_voltage,
      currents,
    },
    noise: options.noise ?? 0,
    seed: options.seed ?? 1,
    ...options.emulator,
  });
  const adc = new Mcp3008(emulator, {
    speedHz: 1_750_000,
    transfersPerCall: options.transfersPerCall ?? 255,
  });
  return {
    emulator,
    adc,
    settings: { grid, channels },
    layout: { channels: channels.map((channel) => channel.number), samples: 500 },
  };
}
