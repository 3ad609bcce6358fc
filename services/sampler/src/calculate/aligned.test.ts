import { describe, expect, it } from 'vitest';
import { emulatedBoard } from '../adc/emulated-board.js';
import type { RawBatch } from '../raw-batch.js';
import { calculatePower } from './calculate-power.js';
import { analyseVoltage, voltageAtCtReads, wholeCycleWindow } from './voltage-wave.js';

const DEG = 180 / Math.PI;

/** A batch with explicit read times (seconds) and counts, one channel: reads alternate CT, voltage. */
function timedBatch(ct: number[], v: number[], ctTimes: number[], vTimes: number[]): RawBatch {
  const reads = new Uint16Array(2 * ct.length);
  const times = new Float64Array(2 * ct.length);
  ct.forEach((c, i) => {
    reads[2 * i] = c;
    reads[2 * i + 1] = v[i]!;
    times[2 * i] = ctTimes[i]!;
    times[2 * i + 1] = vTimes[i]!;
  });
  return { channels: [1], samples: ct.length, reads, times, boardVoltage: 3.31, startedAt: 0, duration: 1 };
}

describe('voltage at the CT read instants', () => {
  it('is exact for a cubic wave on evenly spaced reads, including the extrapolated edges', () => {
    const p = (t: number) => t ** 3 - 2 * t ** 2 + 3;
    const vTimes = [1, 3, 5, 7, 9];
    const ctTimes = [0, 2, 4, 6, 8];
    const batch = timedBatch(
      ctTimes.map(() => 0),
      vTimes.map(p),
      ctTimes,
      vTimes,
    );
    const estimate = voltageAtCtReads(batch, new Float64Array(5));
    const errors = [...estimate].map((value, j) => Math.abs(value - p(ctTimes[j]!)));
    expect(Math.max(...errors)).toBeLessThan(1e-9);
  });

  it('uses the actual read times when they are unevenly spaced', () => {
    const p = (t: number) => 4 * t * t;
    const vTimes = [1, 3, 5.5, 7, 9.5];
    const ctTimes = [0, 2, 4, 6.5, 8];
    const batch = timedBatch(
      ctTimes.map(() => 0),
      vTimes.map(p),
      ctTimes,
      vTimes,
    );
    const estimate = voltageAtCtReads(batch, new Float64Array(5));
    const errors = [...estimate].map((value, j) => Math.abs(value - p(ctTimes[j]!)));
    expect(Math.max(...errors)).toBeLessThan(1e-9);
  });
});

describe('whole-cycle window', () => {
  const at = (i: number) => i;

  it('keeps every sample when the data is a whole number of cycles', () => {
    // 10 samples one unit apart cover 10 units; at 0.3 per unit that is 3 whole cycles.
    expect(wholeCycleWindow(at, 10, 0.3)).toEqual({ end: 10, lastWeight: 1, cycles: 3 });
    expect(wholeCycleWindow(at, 10, 0.25)).toEqual({ end: 8, lastWeight: 1, cycles: 2 });
  });

  it('weights the sample the window ends in by the fraction of it inside', () => {
    const window = wholeCycleWindow(at, 10, 0.28);
    expect(window.cycles).toBe(2);
    expect(window.end).toBe(8);
    expect(window.lastWeight).toBeCloseTo(1 / 7, 12);
    // Total weight is exactly the window length: 2 cycles of 1 / 0.28.
    expect(window.end - 1 + window.lastWeight).toBeCloseTo(2 / 0.28, 12);
  });

  it('keeps everything with less than one cycle or no frequency', () => {
    expect(wholeCycleWindow(at, 10, 0.05)).toEqual({ end: 10, lastWeight: 1, cycles: 0 });
    expect(wholeCycleWindow(at, 10, undefined)).toEqual({ end: 10, lastWeight: 1, cycles: 0 });
  });
});

describe('frequency from zero crossings', () => {
  it.each([
    [50, 12000],
    [60, 20000],
    [49.8, 16000],
    [60.2, 18000],
  ])('measures %f Hz at %i reads/s within 0.05 percent', async (frequency, readRate) => {
    const board = emulatedBoard({
      channels: [{ number: 1, current: { amps: 10, phaseDeg: 0 } }],
      readRate,
      frequency,
      noise: 0.5,
      seed: 3,
    });
    const batch = await board.adc.readBatch({ channels: [1], samples: 500 });
    const wave = analyseVoltage(batch);
    expect(wave.frequency).toBeDefined();
    expect(Math.abs(wave.frequency! / frequency - 1)).toBeLessThan(0.0005);
  });

  it('reports no frequency for a flat voltage input', async () => {
    const board = emulatedBoard({
      channels: [{ number: 1, current: { amps: 10, phaseDeg: 0 } }],
      readRate: 20000,
      noise: 0.5,
    });
    board.emulator.fault = 'flat_voltage';
    const batch = await board.adc.readBatch({ channels: [1], samples: 500 });
    const wave = analyseVoltage(batch);
    expect(wave.span).toBeLessThan(20);
    expect(wave.frequency).toBeUndefined();
    expect(calculatePower(batch, board.settings, 'aligned').frequency).toBeUndefined();
  });
});

/**
 * The accuracy target. Emulated sequential reads at 12 000 - 20 000 reads/s, 50 and 60 Hz, PF 1.0, 0.9,
 * 0.7 and 0.5 (lagging and leading), 1 to 6 enabled channels, and about half a count of noise: Gaussian noise of
 * 0.4 counts RMS before the ADC's own quantisation (0.29 counts RMS), 0.49 counts RMS in all. aligned real power
 * must be within 0.2 % of the true value per batch from 25 % to 100 % of the CT rating, and within 1 % at 5 %.
 * The error left is noise, so these bounds are statistical: docs/sampler.md gives the standard deviations.
 */
describe('aligned accuracy target', () => {
  const PFS = [1, 0.9, 0.7, 0.5];
  const LEVELS = [0.05, 0.25, 0.5, 1];
  const combos = PFS.flatMap((pf) => LEVELS.map((level) => ({ pf, level })));

  it.each([
    [50, 12000],
    [50, 16000],
    [50, 20000],
    [60, 12000],
    [60, 16000],
    [60, 20000],
  ])('holds at %i Hz and %i reads/s for 1 to 6 channels', async (frequency, readRate) => {
    let worstFull = 0;
    let worstLow = 0;
    let checked = 0;
    for (let m = 1; m <= 6; m++) {
      const batches = Math.ceil(combos.length / m);
      for (let b = 0; b < batches; b++) {
        const channels = Array.from({ length: m }, (_, slot) => {
          const { pf, level } = combos[(b * m + slot) % combos.length]!;
          const rating = slot === 0 ? 100 : 30;
          const lagging = (b + slot) % 2 === 0;
          return {
            number: [1, 2, 3, 4, 5, 6][slot]!,
            rating,
            current: { amps: rating * level, phaseDeg: (lagging ? -1 : 1) * Math.acos(pf) * DEG },
            level,
          };
        });
        const board = emulatedBoard({
          channels,
          readRate,
          grid: { frequency: frequency as 50 | 60 },
          noise: 0.4,
          seed: 1000 * m + b + readRate + frequency,
          emulator: { startTime: 0.0137 * (b + 1) },
        });
        const batch = await board.adc.readBatch(board.layout);
        const result = calculatePower(batch, board.settings, 'aligned');
        for (const channel of channels) {
          const error = Math.abs(
            result.channels.get(channel.number)!.power / board.emulator.truePower(channel.number) - 1,
          );
          if (channel.level >= 0.25) {
            expect(
              error,
              `${m} channels, channel ${channel.number} at ${channel.level} of rating`,
            ).toBeLessThan(0.002);
            worstFull = Math.max(worstFull, error);
          } else {
            expect(error, `${m} channels, channel ${channel.number} at 5 % of rating`).toBeLessThan(0.01);
            worstLow = Math.max(worstLow, error);
          }
          checked++;
        }
      }
    }
    // Every PF and level combination on every channel count (batches wrap around the list).
    expect(checked).toBe([1, 2, 3, 4, 5, 6].reduce((sum, m) => sum + Math.ceil(combos.length / m) * m, 0));
    expect(worstFull).toBeGreaterThan(0);
    expect(worstLow).toBeGreaterThan(0);
  });

  it('stays within the target with harmonics in voltage and current, and with system-call latency between bus calls', async () => {
    const board = emulatedBoard({
      channels: [
        {
          number: 1,
          rating: 100,
          current: {
            amps: 40,
            phaseDeg: -30,
            harmonics: [
              { order: 3, fraction: 0.25, phaseDeg: 40 },
              { order: 5, fraction: 0.1, phaseDeg: -70 },
            ],
          },
        },
        { number: 2, current: { amps: 12, phaseDeg: -60 } },
        {
          number: 3,
          current: { amps: 20, phaseDeg: 10, harmonics: [{ order: 3, fraction: 0.3, phaseDeg: 0 }] },
        },
      ],
      readRate: 16000,
      grid: { frequency: 60 },
      noise: 0.4,
      seed: 77,
      transfersPerCall: 100,
      emulator: { callLatency: 40e-6 },
    });
    board.emulator.setScene({
      ...board.emulator.currentScene,
      voltageHarmonics: [
        { order: 3, fraction: 0.03, phaseDeg: 20 },
        { order: 5, fraction: 0.02, phaseDeg: 0 },
      ],
    });
    for (let b = 0; b < 4; b++) {
      const result = calculatePower(await board.adc.readBatch(board.layout), board.settings, 'aligned');
      for (const channel of [1, 2, 3]) {
        expect(
          Math.abs(result.channels.get(channel)!.power / board.emulator.truePower(channel) - 1),
        ).toBeLessThan(0.002);
      }
    }
  });

  it('measures the RMS voltage and current within 0.2 %', async () => {
    const board = emulatedBoard({
      channels: [{ number: 1, rating: 100, current: { amps: 50, phaseDeg: -20 } }],
      readRate: 12000,
      volts: 231.7,
      noise: 0.4,
      seed: 5,
    });
    const result = calculatePower(await board.adc.readBatch(board.layout), board.settings, 'aligned');
    expect(result.channels.get(1)!.voltage / 231.7 - 1).toBeCloseTo(0, 2.7);
    expect(result.channels.get(1)!.current / 50 - 1).toBeCloseTo(0, 2.7);
    expect(Math.abs(result.channels.get(1)!.pf - Math.cos(20 / DEG))).toBeLessThan(0.002);
  });
});

describe('the reference error that aligned mode removes', () => {
  /** Mean relative error of both modes over a few 6-channel batches at 60 Hz (18 000 reads/s: 1.2 degrees skew). */
  async function errors(pf: number, readRate: number): Promise<{ compat: number; aligned: number }> {
    const channels = [1, 2, 3, 4, 5, 6].map((number) => ({
      number,
      current: { amps: 15, phaseDeg: -Math.acos(pf) * DEG },
    }));
    const board = emulatedBoard({ channels, readRate, grid: { frequency: 60 }, noise: 0.4, seed: 11 });
    let compat = 0;
    let aligned = 0;
    let count = 0;
    for (let b = 0; b < 3; b++) {
      const batch = await board.adc.readBatch(board.layout);
      const c = calculatePower(batch, board.settings, 'compat');
      const a = calculatePower(batch, board.settings, 'aligned');
      for (const { number } of channels) {
        const truth = board.emulator.truePower(number);
        compat += c.channels.get(number)!.power / truth - 1;
        aligned += a.channels.get(number)!.power / truth - 1;
        count++;
      }
    }
    return { compat: compat / count, aligned: aligned / count };
  }

  it('compat under-reads by 3-4 % at PF 0.5 and about 1 % at PF 0.9 (lagging), aligned does not', async () => {
    for (const readRate of [18000, 20000]) {
      const half = await errors(0.5, readRate);
      expect(half.compat).toBeLessThan(-0.03);
      expect(half.compat).toBeGreaterThan(-0.04);
      expect(Math.abs(half.aligned)).toBeLessThan(0.001);
      const nine = await errors(0.9, readRate);
      expect(nine.compat).toBeLessThan(-0.007);
      expect(nine.compat).toBeGreaterThan(-0.013);
      expect(Math.abs(nine.aligned)).toBeLessThan(0.001);
    }
  });
});
