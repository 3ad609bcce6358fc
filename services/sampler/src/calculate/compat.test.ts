import { describe, expect, it } from 'vitest';
import type { RawBatch } from '../raw-batch.js';
import { calculatePower } from './calculate-power.js';
import { calculateCompat } from './compat.js';
import { boardVoltage, currentScale, voltageScale } from './scale.js';
import type { CalculationSettings, ChannelSettings } from './types.js';

/** A batch from per-channel sample lists, in the reference's interleaved order. */
function batchOf(channels: number[], ct: number[][], v: number[][], board = 3.31): RawBatch {
  const n = ct[0]!.length;
  const reads = new Uint16Array(2 * channels.length * n);
  for (let i = 0; i < n; i++) {
    channels.forEach((_, s) => {
      reads[2 * (i * channels.length + s)] = ct[s]![i]!;
      reads[2 * (i * channels.length + s) + 1] = v[s]![i]!;
    });
  }
  const times = new Float64Array(reads.length).map((_, index) => (index + 0.5) / 20000);
  return {
    channels,
    samples: n,
    reads,
    times,
    boardVoltage: board,
    startedAt: 0,
    duration: reads.length / 20000,
  };
}

function channel(overrides: Partial<ChannelSettings> = {}): ChannelSettings {
  return {
    number: 1,
    type: 'consumption',
    rating: 100,
    calibration: 1,
    two_pole: false,
    reversed: false,
    ...overrides,
  };
}

const grid = {
  grid_voltage: 240,
  ac_transformer_output_voltage: 12,
  voltage_calibration: 1,
  frequency: 50 as const,
};

function settings(channels: ChannelSettings[]): CalculationSettings {
  return { grid, channels };
}

// Hand-derived case: c = 512 + 20 sin, v = 512 + 100 sin over a quarter-cycle grid, in phase.
//   sum c = 2048, cbar = 512; sum v = 2048, vbar = 512
//   sum c*v = 262144 + 325584 + 262144 + 202704 = 1052576, / 4 = 263144, - 512 * 512 = 1000
//   sum c^2 = 262144 + 283024 + 262144 + 242064 = 1049376, / 4 = 262344, - 262144 = 200
//   sum v^2 = 262144 + 374544 + 262144 + 169744 = 1068576, / 4 = 267144, - 262144 = 5000
const C = [512, 532, 512, 492];
const V = [512, 612, 512, 412];

describe('scale factors (power-calculation.md section 2)', () => {
  it('reads the board voltage as mean / 1024 * 3.31 * 2', () => {
    expect(boardVoltage(512 * 11, 11)).toBe(3.31);
    // A mean of 500: 500 / 1024 = 0.48828125 exactly, * 3.31, * 2.
    expect(boardVoltage(500 * 11, 11)).toBe(0.48828125 * 3.31 * 2);
    expect(boardVoltage(500 * 11, 11)).toBeCloseTo(3.23242, 5);
  });

  it('computes K_I = ((q * calibration) * rating) * 0.88 and K_V = (q * ((grid / transformer) * 11)) * voltage_calibration', () => {
    const q = 3.31 / 1024; // exact: a division by a power of two
    expect(currentScale(3.31, { rating: 100, calibration: 1 })).toBe(q * 100 * 0.88);
    expect(currentScale(3.31, { rating: 100, calibration: 1 })).toBeCloseTo(0.2844531, 7);
    // 240 / 12 = 20, * 11 = 220: K_V = q * 220
    expect(voltageScale(3.31, grid)).toBe(q * 220);
    expect(voltageScale(3.31, grid)).toBeCloseTo(0.7111328, 7);
  });

  it('keeps the association order, which changes the last bit for some inputs', () => {
    const board = 3.27;
    const channelSettings = { rating: 37, calibration: 1.013 };
    const q = board / 1024;
    const specified = q * channelSettings.calibration * channelSettings.rating * 0.88;
    expect(currentScale(board, channelSettings)).toBe(specified);
    // The same product in another order is a different double here: order matters for bit-identity.
    expect(q * (channelSettings.calibration * (channelSettings.rating * 0.88))).not.toBe(specified);
  });
});

describe('compat mode: the reference calculation', () => {
  const kI = (3.31 / 1024) * 100 * 0.88;
  const kV = (3.31 / 1024) * 220;

  it('matches the hand-derived figures bit for bit', () => {
    const result = calculateCompat(batchOf([1], [C], [V]), settings([channel()]));
    const figures = result.channels.get(1)!;
    expect(figures.power).toBe(1000 * kI * kV);
    expect(figures.current).toBe(Math.sqrt(200) * kI);
    expect(figures.voltage).toBe(Math.sqrt(5000) * kV);
    expect(figures.pf).toBe(Math.abs(figures.power / (figures.voltage * figures.current)));
    // In round numbers: 202.3 W, 4.023 A, 50.29 V, PF 1.
    expect(figures.power).toBeCloseTo(202.28, 2);
    expect(figures.current).toBeCloseTo(4.0228, 4);
    expect(figures.voltage).toBeCloseTo(50.285, 3);
    expect(figures.pf).toBeCloseTo(1, 12);
  });

  it('cancels DC bias: the covariance of shifted samples is unchanged', () => {
    const shifted = calculateCompat(
      batchOf([1], [C.map((c) => c + 100)], [V.map((v) => v - 50)]),
      settings([channel()]),
    );
    expect(shifted.channels.get(1)!.power).toBe(1000 * kI * kV);
    expect(shifted.channels.get(1)!.current).toBe(Math.sqrt(200) * kI);
  });

  it('gives zero real power for a current 90 degrees from the voltage', () => {
    // v = 512 + 100 cos: sum c*v = 4 * 262144 exactly, so the covariance is exactly 0.
    const result = calculateCompat(batchOf([1], [C], [[612, 512, 412, 512]]), settings([channel()]));
    expect(result.channels.get(1)!.power).toBe(0);
    expect(result.channels.get(1)!.pf).toBe(0);
    expect(result.channels.get(1)!.current).toBe(Math.sqrt(200) * kI);
  });

  it('uses each channel its own voltage samples and its own scale', () => {
    const result = calculateCompat(
      batchOf([2, 5], [C, C], [V, V.map((v) => 512 + (v - 512) * 2)]),
      settings([channel({ number: 2 }), channel({ number: 5, rating: 50 })]),
    );
    const kI50 = (3.31 / 1024) * 50 * 0.88;
    expect(result.channels.get(2)!.voltage).toBe(Math.sqrt(5000) * kV);
    expect(result.channels.get(5)!.voltage).toBe(Math.sqrt(20000) * kV);
    expect(result.channels.get(5)!.power).toBe(2000 * kI50 * kV);
  });

  it('reads a zero variance as 0 where the reference would take the square root of a negative rounding error', () => {
    // A constant CT channel: E[c^2] - E[c]^2 is 0; with values whose mean is inexact it can round below 0.
    const constant = calculateCompat(
      batchOf([1], [[700, 700, 700]], [[412, 612, 512]]),
      settings([channel()]),
    );
    expect(constant.channels.get(1)!.current).toBe(0);
    expect(constant.channels.get(1)!.pf).toBe(0);
    const odd = calculateCompat(
      batchOf([1], [[3, 3, 3, 3, 3, 3, 3]], [[1, 2, 3, 4, 5, 6, 7]]),
      settings([channel()]),
    );
    expect(Number.isNaN(odd.channels.get(1)!.current)).toBe(false);
  });

  it('matches a literal transcription of the spec on random samples, bit for bit', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 20; round++) {
      const n = 50 + Math.floor(random() * 100);
      const ct = [Array.from({ length: n }, () => Math.floor(random() * 1024))];
      const v = [Array.from({ length: n }, () => Math.floor(random() * 1024))];
      const board = boardVoltage(Math.floor(random() * 11 * 1024), 11);
      const ch = channel({ rating: 1 + Math.floor(random() * 200), calibration: 0.9 + random() * 0.2 });
      const result = calculateCompat(batchOf([1], ct, v, board), settings([ch])).channels.get(1)!;

      // power-calculation.md section 2, written out term by term.
      const q = board / 1024;
      const KI = q * ch.calibration * ch.rating * 0.88;
      const KV =
        q * ((grid.grid_voltage / grid.ac_transformer_output_voltage) * 11) * grid.voltage_calibration;
      const c = ct[0]!;
      const w = v[0]!;
      const cbar = c.reduce((a, b) => a + b, 0) / n;
      const vbar = w.reduce((a, b) => a + b, 0) / n;
      const P = (c.reduce((a, ci, i) => a + ci * w[i]!, 0) / n - cbar * vbar) * KI * KV;
      const I = Math.sqrt(c.reduce((a, ci) => a + ci * ci, 0) / n - cbar * cbar) * KI;
      const Vr = Math.sqrt(w.reduce((a, vi) => a + vi * vi, 0) / n - vbar * vbar) * KV;
      expect(result.voltage).toBe(Vr);
      expect(Math.abs(result.current)).toBe(I);
      expect(result.power).toBe(P);
      expect(result.pf).toBe(Math.abs(P / (Vr * I)));
    }
  });
});

describe('calculatePower', () => {
  it('refuses a batch whose channels are not the enabled ones', () => {
    expect(() =>
      calculatePower(batchOf([1], [C], [V]), settings([channel({ number: 2 })]), 'compat'),
    ).toThrow(/batch channels \[1\] do not match the enabled channels \[2\]/);
  });
});
