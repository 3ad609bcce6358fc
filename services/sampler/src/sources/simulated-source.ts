import { existsSync, readFileSync } from 'node:fs';
import type { EnabledChannel, GridVoltageSection } from '@wattbus/shared';
import { AdcFault } from '../adc/adc-bus.js';
import { type BatchLayout, Mcp3008 } from '../adc/mcp3008.js';
import { type EmulatorScale, Mcp3008Emulator } from '../adc/mcp3008-emulator.js';
import { BOARD_READS, boardVoltage, currentScale, voltageScale } from '../calculate/scale.js';
import type { RawBatch } from '../raw-batch.js';
import type { BatchSource } from './batch-source.js';
import { Household, sceneFor, timeOfDaySeconds } from './household.js';
import { sleep } from './timing.js';

/** What the emulated board's input 4 reads: B = 3.31 V. */
const BOARD_COUNTS = 512;

/** Faults a test or demo can inject through the fault file. */
export const SIMULATED_FAULTS = ['open', 'transfer', 'flat_voltage'] as const;
export type SimulatedFault = (typeof SIMULATED_FAULTS)[number];

/** The emulated board's scale: counts map back to exactly the volts and amps the calculation reports. */
export function emulatorScale(
  grid: Pick<GridVoltageSection, 'grid_voltage' | 'ac_transformer_output_voltage' | 'voltage_calibration'>,
  channels: readonly { number: number; rating: number; calibration: number }[],
  boardCounts = BOARD_COUNTS,
): EmulatorScale {
  const board = boardVoltage(boardCounts * BOARD_READS, BOARD_READS);
  const ampsPerCount: EmulatorScale['ampsPerCount'] = {};
  for (const channel of channels) ampsPerCount[channel.number] = currentScale(board, channel);
  return { voltsPerCount: voltageScale(board, grid), ampsPerCount };
}

export interface SimulatedSourceOptions {
  grid: GridVoltageSection;
  channels: readonly EnabledChannel[];
  /** Simulated seconds per real second. */
  speed: number;
  /** Simulated time of day at start, "HH:MM". */
  start: string;
  seed: number;
  readRate: number;
  noise: number;
  transfersPerCall: number;
  /** While this file exists, its text (open, transfer or flat_voltage) names a fault to emulate. */
  faultFile: string;
  /** Wait until each batch would be complete in real time (off in tests that want batches at full speed). */
  pace?: boolean;
  /** Wall clock in epoch ms (tests replace it). */
  clock?: () => number;
  signal?: AbortSignal;
}

/**
 * The simulated source: a household day played through the MCP3008 emulator and the real driver, so readings
 * travel the whole path from SPI bytes. The simulated clock starts at `start` and runs `speed` times faster than
 * real time; the reads themselves happen in real time at `readRate`.
 */
export class SimulatedSource implements BatchSource {
  readonly kind = 'simulated';
  readonly description = 'simulated household (emulated MCP3008)';
  private readonly household: Household;
  private readonly clock: () => number;
  private readonly origin: number;
  private emulator: Mcp3008Emulator | undefined;
  private adc: Mcp3008 | undefined;
  private unknownFault: string | undefined;

  constructor(private readonly options: SimulatedSourceOptions) {
    this.household = new Household(options.seed, options.grid.grid_voltage, options.grid.frequency);
    this.clock = options.clock ?? Date.now;
    this.origin = this.clock();
  }

  /** Seconds since midnight of day 0 of the simulated household, at wall time `now`. */
  simulatedTime(now = this.clock()): number {
    return timeOfDaySeconds(this.options.start) + ((now - this.origin) / 1000) * this.options.speed;
  }

  /** The fault named by the fault file, if it exists. */
  injectedFault(): SimulatedFault | undefined {
    const path = this.options.faultFile;
    if (!path || !existsSync(path)) return undefined;
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
    if ((SIMULATED_FAULTS as readonly string[]).includes(text)) return text as SimulatedFault;
    if (this.unknownFault !== text) {
      this.unknownFault = text;
      process.emitWarning(
        `fault file ${path} names no known fault (${SIMULATED_FAULTS.join(', ')}): "${text}"`,
      );
    }
    return undefined;
  }

  async open(): Promise<void> {
    if (this.injectedFault() === 'open') {
      throw new AdcFault(
        'open_failed',
        'cannot open the emulated MCP3008: fault injected through the fault file',
      );
    }
    const { grid, channels } = this.options;
    this.emulator = new Mcp3008Emulator({
      readRate: this.options.readRate,
      scale: emulatorScale(grid, channels),
      scene: sceneFor(this.household.at(this.simulatedTime()), channels),
      noise: this.options.noise,
      seed: this.options.seed,
      boardCounts: BOARD_COUNTS,
      startTime: this.clock() / 1000,
    });
    this.adc = new Mcp3008(this.emulator, {
      speedHz: 1_750_000,
      transfersPerCall: this.options.transfersPerCall,
    });
  }

  async read(layout: BatchLayout): Promise<RawBatch> {
    const emulator = this.emulator;
    const adc = this.adc;
    if (!emulator || !adc) throw new AdcFault('open_failed', 'the emulated MCP3008 is not open');
    const fault = this.injectedFault();
    if (fault === 'open') {
      throw new AdcFault('transfer_failed', 'the emulated MCP3008 stopped answering: fault injected');
    }
    emulator.fault =
      fault === 'transfer' ? 'transfer' : fault === 'flat_voltage' ? 'flat_voltage' : undefined;
    const started = this.clock();
    emulator.advanceTo(started / 1000);
    emulator.setScene(sceneFor(this.household.at(this.simulatedTime(started)), this.options.channels));
    let batch: RawBatch;
    try {
      batch = await adc.readBatch(layout);
    } catch (error) {
      throw new AdcFault('transfer_failed', `emulated SPI transfer failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (this.options.pace !== false) {
      await sleep(started + batch.duration * 1000 - this.clock(), this.options.signal);
    }
    return batch;
  }

  async close(): Promise<void> {
    await this.emulator?.close();
    this.emulator = undefined;
    this.adc = undefined;
  }
}
