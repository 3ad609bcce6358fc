import type { AdcBus, SpiTransfer } from '../services/sampler/src/adc/adc-bus.js';
import { emulatedBoard } from '../services/sampler/src/adc/emulated-board.js';
import { Mcp3008 } from '../services/sampler/src/adc/mcp3008.js';
import { type CalculationMode, calculatePower } from '../services/sampler/src/calculate/calculate-power.js';
import type { RawBatch } from '../services/sampler/src/raw-batch.js';
import type { BenchResult, BenchSuite } from './report.js';

/**
 * The sampler's software costs, measured in CPU time of this process (so "per core"):
 * - calculation throughput on 6-channel batches of 500 samples (one sample = one CT read and its voltage read);
 * - the cost per ADC read of the MCP3008 driver: building the transfers, decoding the answers and recording the
 *   read times. It runs against a bus that answers instantly, so the figure is the driver's own work; the kernel's
 *   SPI transfer is not part of it. The same path with the emulator's waveform synthesis is reported alongside.
 */
const CHANNELS = [1, 2, 3, 4, 5, 6].map((number) => ({
  number,
  current: { amps: 4 * number, phaseDeg: -10 * number },
}));

/** A bus that answers every conversion with mid-scale at once: only the driver's work is left to measure. */
class InstantBus implements AdcBus {
  private clock = 0;
  async transfer(transfers: readonly SpiTransfer[]): Promise<void> {
    for (const transfer of transfers) {
      transfer.receiveBuffer[1] = 0x02;
      transfer.receiveBuffer[2] = 0x00;
    }
    this.clock += transfers.length / 60_000;
  }
  now(): number {
    return this.clock;
  }
  async close(): Promise<void> {}
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Runs `work` repeatedly for at least `seconds` of CPU time; returns units done per CPU second. */
async function perCpuSecond(seconds: number, work: () => number | Promise<number>): Promise<number> {
  // Warm up so that the optimising compiler has seen the code.
  const warmEnd = cpuSeconds() + 0.3;
  while (cpuSeconds() < warmEnd) await work();
  const start = cpuSeconds();
  let units = 0;
  while (cpuSeconds() - start < seconds) units += await work();
  return units / (cpuSeconds() - start);
}

async function calculation(
  mode: CalculationMode,
  batches: RawBatch[],
  settings: Parameters<typeof calculatePower>[1],
) {
  let index = 0;
  return perCpuSecond(2, () => {
    const batch = batches[index++ % batches.length]!;
    calculatePower(batch, settings, mode);
    return batch.samples * batch.channels.length;
  });
}

export const suite: BenchSuite = {
  area: 'sampler',
  command: 'npx tsx bench/run-all.ts sampler',
  async run(): Promise<BenchResult[]> {
    const board = emulatedBoard({ channels: CHANNELS, readRate: 20_000, noise: 0.5 });
    const batches: RawBatch[] = [];
    for (let i = 0; i < 32; i++) batches.push(await board.adc.readBatch(board.layout));

    const results: BenchResult[] = [];
    for (const mode of ['compat', 'aligned'] as const) {
      const rate = await calculation(mode, batches, board.settings);
      results.push({
        name: `calculation, ${mode} mode`,
        value: rate,
        unit: 'samples/s per core',
        target: '>= 20 000 000 samples/s',
        met: rate >= 20_000_000,
        detail: `6-channel batches of 500 samples (3000 CT+voltage pairs); ${((3000 / rate) * 1e6).toFixed(0)} us per batch`,
      });
    }

    const driver = new Mcp3008(new InstantBus(), { speedHz: 1_750_000, transfersPerCall: 255 });
    const readsPerBatch = 11 + 2 * 6 * 500;
    const driverReads = await perCpuSecond(2, async () => {
      await driver.readBatch(board.layout);
      return readsPerBatch;
    });
    const perRead = 1e6 / driverReads;
    results.push({
      name: 'MCP3008 driver cost per ADC read',
      value: perRead,
      unit: 'us',
      target: '<= 2.2 us (150 000 reads/s in under 1/3 of a core)',
      met: perRead <= 2.2,
      detail: `building the transfers, decoding and timing ${readsPerBatch} reads per batch, 255 per bus call; ${((150_000 * perRead) / 1e4).toFixed(2)} % of a core at 150 000 reads/s`,
    });

    const emulatedReads = await perCpuSecond(2, async () => {
      await board.adc.readBatch(board.layout);
      return readsPerBatch;
    });
    results.push({
      name: 'emulated read (driver + MCP3008 emulator)',
      value: 1e6 / emulatedReads,
      unit: 'us',
      detail:
        'the whole emulated path including waveform synthesis with noise: what the simulated source costs',
    });
    return results;
  },
};
