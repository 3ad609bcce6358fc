import { describe, expect, it } from 'vitest';
import { PF_GATE_COUNTS, postProcess, powerFactor } from './post-process.js';

const plain = { two_pole: false, reversed: false };
const raw = { power: 1000, current: 5, voltage: 240, pf: 0.8333 };

describe('post-processing steps (power-calculation.md section 2, in order)', () => {
  it('leaves plain figures alone', () => {
    expect(postProcess(raw, 500, plain)).toEqual(raw);
  });

  it('1. two_pole doubles the power but not the current', () => {
    expect(postProcess(raw, 500, { ...plain, two_pole: true })).toEqual({ ...raw, power: 2000 });
  });

  it('2. reversed negates the power, and 3. the current then takes its sign', () => {
    expect(postProcess(raw, 500, { ...plain, reversed: true })).toEqual({
      ...raw,
      power: -1000,
      current: -5,
    });
  });

  it('3. negative power makes the current negative only above 10 V', () => {
    const exporting = { ...raw, power: -1000 };
    expect(postProcess(exporting, 500, plain).current).toBe(-5);
    expect(postProcess({ ...exporting, voltage: 10 }, 500, plain).current).toBe(5);
    expect(postProcess({ ...exporting, voltage: 10.01 }, 500, plain).current).toBe(-5);
  });

  it('keeps the PF computed before the sign steps', () => {
    const result = postProcess(raw, 500, { ...plain, two_pole: true, reversed: true });
    expect(result.pf).toBe(raw.pf);
    expect(result.power).toBe(-2000);
  });

  it(`4. sets PF to 0 when the CT swing is under ${PF_GATE_COUNTS} counts`, () => {
    expect(postProcess(raw, PF_GATE_COUNTS - 1, plain).pf).toBe(0);
    expect(postProcess(raw, PF_GATE_COUNTS, plain).pf).toBe(raw.pf);
  });

  it('5. zeroes P, I and PF below the amps cut-off', () => {
    expect(postProcess(raw, 500, { ...plain, amps_cutoff_threshold: 5.01 })).toEqual({
      power: 0,
      current: 0,
      voltage: 240,
      pf: 0,
    });
    expect(postProcess(raw, 500, { ...plain, amps_cutoff_threshold: 5 })).toEqual(raw);
    // The magnitude counts: a negative current above the threshold stays.
    expect(postProcess({ ...raw, power: -1000 }, 500, { ...plain, amps_cutoff_threshold: 4 }).current).toBe(
      -5,
    );
  });

  it('5. an amps cut-off of 0 is present: it turns the cut-off off and the watts one is not used', () => {
    expect(
      postProcess(raw, 500, { ...plain, amps_cutoff_threshold: 0, watts_cutoff_threshold: 5000 }),
    ).toEqual(raw);
  });

  it('5. uses the watts cut-off against |P| only when the amps one is absent', () => {
    expect(postProcess(raw, 500, { ...plain, watts_cutoff_threshold: 1000.5 }).power).toBe(0);
    expect(postProcess(raw, 500, { ...plain, watts_cutoff_threshold: 1000 }).power).toBe(1000);
    expect(postProcess({ ...raw, power: -900 }, 500, { ...plain, watts_cutoff_threshold: 950 })).toEqual({
      power: 0,
      current: 0,
      voltage: 240,
      pf: 0,
    });
    expect(postProcess(raw, 500, { ...plain, watts_cutoff_threshold: 0 })).toEqual(raw);
  });

  it('applies the cut-off after doubling and reversing', () => {
    // 600 W doubled is 1200 W, above a 1000 W floor.
    expect(
      postProcess({ ...raw, power: 600 }, 500, { ...plain, two_pole: true, watts_cutoff_threshold: 1000 })
        .power,
    ).toBe(1200);
  });
});

describe('powerFactor', () => {
  it('is |P / (V * I)|, and 0 when the apparent power is 0', () => {
    expect(powerFactor(-600, 240, 5)).toBe(0.5);
    expect(powerFactor(100, 0, 5)).toBe(0);
    expect(powerFactor(100, 240, 0)).toBe(0);
  });
});
