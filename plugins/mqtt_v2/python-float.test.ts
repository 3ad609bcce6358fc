import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPayloadNumber, pythonFloatRepr, roundHalfEven } from './python-float.js';

/**
 * `python-round.golden.json` holds [repr(x), str(round(x, 2))] pairs printed by CPython 3 for hand-picked values
 * (ties, near-ties, -0.0, huge and tiny numbers), seeded random values across magnitudes, exact binary ties j/8
 * and random bit patterns.
 */
const golden = JSON.parse(readFileSync(new URL('./python-round.golden.json', import.meta.url), 'utf8')) as [
  string,
  string,
][];

describe('formatPayloadNumber (Python str(round(x, 2)))', () => {
  it('formats the examples of the spec', () => {
    expect(formatPayloadNumber(10)).toBe('10.0');
    expect(formatPayloadNumber(0)).toBe('0.0');
    expect(formatPayloadNumber(-0)).toBe('-0.0');
    expect(formatPayloadNumber(2126.5432)).toBe('2126.54');
  });

  it('rounds exact binary ties to even and near-ties by their true value', () => {
    expect(formatPayloadNumber(0.125)).toBe('0.12');
    expect(formatPayloadNumber(0.375)).toBe('0.38');
    expect(formatPayloadNumber(-0.125)).toBe('-0.12');
    // 2.675 is 2.67499999999999982236431605997495353221893310546875 in binary.
    expect(formatPayloadNumber(2.675)).toBe('2.67');
    expect(formatPayloadNumber(1.005)).toBe('1.0');
  });

  it('keeps the sign of values that round to zero, as Python does', () => {
    expect(formatPayloadNumber(-0.004)).toBe('-0.0');
    expect(formatPayloadNumber(0.004)).toBe('0.0');
  });

  it('switches to exponent notation where Python does', () => {
    expect(formatPayloadNumber(1e16)).toBe('1e+16');
    expect(formatPayloadNumber(9999999999999998)).toBe('9999999999999998.0');
    expect(pythonFloatRepr(1e-5)).toBe('1e-05');
    expect(pythonFloatRepr(0.0001)).toBe('0.0001');
    expect(pythonFloatRepr(1.5e-7)).toBe('1.5e-07');
    expect(pythonFloatRepr(-1.2345e300)).toBe('-1.2345e+300');
  });

  it('prints nan and infinities like Python', () => {
    expect(formatPayloadNumber(Number.NaN)).toBe('nan');
    expect(formatPayloadNumber(Number.POSITIVE_INFINITY)).toBe('inf');
    expect(formatPayloadNumber(Number.NEGATIVE_INFINITY)).toBe('-inf');
  });

  it(`matches CPython on all ${golden.length} golden values`, () => {
    const mismatches = golden
      .map(([input, expected]) => ({ input, expected, actual: formatPayloadNumber(Number(input)) }))
      .filter(({ expected, actual }) => expected !== actual);
    expect(mismatches).toEqual([]);
  });
});

describe('roundHalfEven', () => {
  it('rounds to other digit counts too', () => {
    expect(roundHalfEven(2.5, 0)).toBe(2);
    expect(roundHalfEven(3.5, 0)).toBe(4);
    expect(roundHalfEven(0.0625, 3)).toBe(0.062);
    expect(roundHalfEven(123.456, 1)).toBe(123.5);
  });

  it('returns whole numbers beyond 2^53 unchanged and rejects a bad digit count', () => {
    expect(roundHalfEven(2 ** 60, 2)).toBe(2 ** 60);
    expect(() => roundHalfEven(1, -1)).toThrow(RangeError);
  });
});
