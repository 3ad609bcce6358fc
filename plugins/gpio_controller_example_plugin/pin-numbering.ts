/**
 * RPi.GPIO's two pin numbering schemes on the 40-pin header: BCM numbers are the SoC's GPIO numbers (what the
 * kernel's GPIO character device calls line offsets), BOARD numbers are the physical pin positions.
 */
export type NumberingScheme = 'BCM' | 'BOARD';

/** BOARD pin -> BCM GPIO for every header pin that carries a GPIO (as RPi.GPIO maps them on 40-pin boards). */
const BOARD_TO_BCM: Readonly<Record<number, number>> = {
  3: 2,
  5: 3,
  7: 4,
  8: 14,
  10: 15,
  11: 17,
  12: 18,
  13: 27,
  15: 22,
  16: 23,
  18: 24,
  19: 10,
  21: 9,
  22: 25,
  23: 11,
  24: 8,
  26: 7,
  27: 0,
  28: 1,
  29: 5,
  31: 6,
  32: 12,
  33: 13,
  35: 19,
  36: 16,
  37: 26,
  38: 20,
  40: 21,
};

const POWER_PINS: Readonly<Record<number, string>> = {
  1: '3.3 V',
  2: '5 V',
  4: '5 V',
  6: 'ground',
  9: 'ground',
  14: 'ground',
  17: '3.3 V',
  20: 'ground',
  25: 'ground',
  30: 'ground',
  34: 'ground',
  39: 'ground',
};

/** A pin as configured, resolved to the kernel line offset (BCM number) with a name for logs. */
export interface ResolvedPin {
  readonly line: number;
  /** e.g. "GPIO17 (board pin 11)". */
  readonly label: string;
}

function boardPinOf(bcm: number): number | undefined {
  const entry = Object.entries(BOARD_TO_BCM).find(([, gpio]) => gpio === bcm);
  return entry ? Number(entry[0]) : undefined;
}

/**
 * Resolves a configured pin number. Returns an error message (naming the rule) instead of a pin when the number is
 * not a GPIO in that scheme, e.g. a ground pin in BOARD numbering.
 */
export function resolvePin(scheme: NumberingScheme, pin: number): ResolvedPin | string {
  if (!Number.isInteger(pin)) return `must be a whole pin number, got ${pin}`;
  if (scheme === 'BOARD') {
    if (pin < 1 || pin > 40) return 'must be a physical header pin from 1 to 40 in BOARD numbering';
    const power = POWER_PINS[pin];
    if (power) return `board pin ${pin} is a ${power} pin, not a GPIO`;
    const line = BOARD_TO_BCM[pin]!;
    return { line, label: `GPIO${line} (board pin ${pin})` };
  }
  if (pin < 0 || pin > 27)
    return 'must be a GPIO number from 0 to 27 in BCM numbering (the GPIOs on the 40-pin header)';
  return { line: pin, label: `GPIO${pin} (board pin ${boardPinOf(pin)})` };
}
