/**
 * Python's `str(round(value, ndigits))`, the payload format of the reference's MQTT plugin, so that scripts and
 * Home Assistant templates written for it read wattbus's payloads unchanged (power-calculation.md section 8).
 */

const float = new DataView(new ArrayBuffer(8));

/** The exact value of a positive finite double as `mantissa * 2 ** exponent`. */
function decompose(value: number): { mantissa: bigint; exponent: number } {
  float.setFloat64(0, value);
  const bits = float.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | 0x10000000000000n, exponent: biased - 1075 };
}

/**
 * Python's `round(value, ndigits)` for floats: the double nearest to the decimal that is closest to the exact
 * binary value of `value`, halves going to the even neighbour. Only values that are exactly halfway in binary are
 * ties (0.125 rounds to 0.12); 2.675 is really 2.67499999... and rounds to 2.67, as in Python. JavaScript's
 * toFixed would send exact ties away from zero, hence the exact arithmetic.
 */
export function roundHalfEven(value: number, ndigits: number): number {
  if (!Number.isInteger(ndigits) || ndigits < 0 || ndigits > 20) {
    throw new RangeError(`ndigits must be an integer from 0 to 20, got ${ndigits}`);
  }
  if (!Number.isFinite(value) || value === 0) return value;
  const negative = value < 0;
  const { mantissa, exponent } = decompose(Math.abs(value));
  // Doubles from 2 ** 53 up are whole numbers already.
  if (exponent >= 0) return value;
  const scaled = mantissa * 10n ** BigInt(ndigits);
  const divisor = 1n << BigInt(-exponent);
  let quotient = scaled / divisor;
  const twiceRemainder = (scaled % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) quotient += 1n;
  // Parsing the decimal string gives the correctly rounded double, as Python's strtod does.
  const magnitude = Number(`${quotient}e-${ndigits}`);
  return negative ? -magnitude : magnitude;
}

/** The shortest digits that identify a positive finite double, and where the decimal point goes. */
function shortestDigits(value: number): { digits: string; point: number } {
  // Number#toString gives the shortest round-tripping digits, the same ones as Python's repr.
  const text = String(value);
  const [mantissa = '', exponentText] = text.split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = whole + fraction;
  let point = whole.length + (exponentText === undefined ? 0 : Number(exponentText));
  const leadingZeros = /^0*/.exec(digits)![0].length;
  digits = digits.slice(leadingZeros);
  point -= leadingZeros;
  return { digits: digits.replace(/0+$/, '') || '0', point };
}

/**
 * Python's `repr`/`str` of a float: shortest round-tripping digits, positional notation with at least one decimal
 * (`10.0`, `-0.0`) while the decimal exponent is from -5 to 15, scientific notation (`1e+16`, `1.5e-07`) outside
 * that, and `nan` / `inf` / `-inf`.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const { digits, point } = shortestDigits(Math.abs(value));
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const exponent = point - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
}

/** `str(round(value, 2))`: the reference's MQTT payload for every figure. */
export function formatPayloadNumber(value: number): string {
  return pythonFloatRepr(roundHalfEven(value, 2));
}
