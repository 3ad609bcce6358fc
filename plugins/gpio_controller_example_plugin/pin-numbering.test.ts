import { describe, expect, it } from 'vitest';
import { resolvePin } from './pin-numbering.js';

describe('resolvePin', () => {
  it('maps BOARD pins to BCM GPIO numbers as RPi.GPIO does', () => {
    expect(resolvePin('BOARD', 11)).toEqual({ line: 17, label: 'GPIO17 (board pin 11)' });
    expect(resolvePin('BOARD', 13)).toEqual({ line: 27, label: 'GPIO27 (board pin 13)' });
    expect(resolvePin('BOARD', 3)).toMatchObject({ line: 2 });
    expect(resolvePin('BOARD', 40)).toMatchObject({ line: 21 });
    expect(resolvePin('BOARD', 27)).toMatchObject({ line: 0 });
  });

  it('takes BCM numbers as they are and names their header pin', () => {
    expect(resolvePin('BCM', 17)).toEqual({ line: 17, label: 'GPIO17 (board pin 11)' });
    expect(resolvePin('BCM', 0)).toEqual({ line: 0, label: 'GPIO0 (board pin 27)' });
  });

  it('refuses power pins, pins off the header and numbers of the wrong scheme', () => {
    expect(resolvePin('BOARD', 6)).toBe('board pin 6 is a ground pin, not a GPIO');
    expect(resolvePin('BOARD', 1)).toBe('board pin 1 is a 3.3 V pin, not a GPIO');
    expect(resolvePin('BOARD', 41)).toMatch(/from 1 to 40/);
    expect(resolvePin('BCM', 28)).toMatch(/from 0 to 27/);
    expect(resolvePin('BCM', 1.5)).toMatch(/whole pin number/);
  });
});
