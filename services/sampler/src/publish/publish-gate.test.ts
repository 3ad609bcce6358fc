import { describe, expect, it } from 'vitest';
import { fieldKind, PublishGate } from './publish-gate.js';

const off = { power: 0, current: 0, voltage: 0, pf: 0, frequency: 0 };

describe('publish gate', () => {
  it('without deadbands publishes every value, at most every minInterval', () => {
    const gate = new PublishGate({ minInterval: 0, maxInterval: 60, deadbands: off });
    expect(gate.offer('readings', { power: 1 }, 0)).toBe(true);
    expect(gate.offer('readings', { power: 1 }, 1)).toBe(true);
    const slow = new PublishGate({ minInterval: 2, maxInterval: 60, deadbands: off });
    expect(slow.offer('readings', { power: 1 }, 0)).toBe(true);
    expect(slow.offer('readings', { power: 5 }, 1999)).toBe(false);
    expect(slow.offer('readings', { power: 5 }, 2000)).toBe(true);
  });

  it('with deadbands publishes when a field moved by its deadband, or when maxInterval passed', () => {
    const gate = new PublishGate({
      minInterval: 0,
      maxInterval: 30,
      deadbands: { ...off, power: 20, voltage: 1 },
    });
    expect(gate.offer('readings', { 'cts.1.power': 100, voltage: 240, 'cts.1.current': 1 }, 0)).toBe(true);
    // Power moved 19.9 W, voltage 0.5 V, current (no deadband) a lot: nothing due.
    expect(gate.offer('readings', { 'cts.1.power': 119.9, voltage: 240.5, 'cts.1.current': 9 }, 1000)).toBe(
      false,
    );
    // Compared with the last published value, not the last offered one.
    expect(gate.offer('readings', { 'cts.1.power': 120, voltage: 240, 'cts.1.current': 1 }, 2000)).toBe(true);
    expect(gate.offer('readings', { 'cts.1.power': 120, voltage: 241, 'cts.1.current': 1 }, 3000)).toBe(true);
    expect(gate.offer('readings', { 'cts.1.power': 120, voltage: 241, 'cts.1.current': 1 }, 32_999)).toBe(
      false,
    );
    expect(gate.offer('readings', { 'cts.1.power': 120, voltage: 241, 'cts.1.current': 1 }, 33_000)).toBe(
      true,
    );
  });

  it('keeps topics apart, treats a field appearing or vanishing as a change, and forgets on reset', () => {
    const gate = new PublishGate({ minInterval: 0, maxInterval: 30, deadbands: { ...off, power: 50 } });
    expect(gate.offer('ct/1', { power: 1 }, 0)).toBe(true);
    expect(gate.offer('ct/2', { power: 1 }, 0)).toBe(true);
    expect(gate.offer('readings', { frequency: undefined }, 0)).toBe(true);
    expect(gate.offer('readings', { frequency: 50 }, 10)).toBe(true);
    expect(gate.offer('ct/1', { power: 2 }, 10)).toBe(false);
    gate.reset();
    expect(gate.offer('ct/1', { power: 2 }, 20)).toBe(true);
  });

  it('names field kinds by their last part', () => {
    expect(fieldKind('cts.3.pf')).toBe('pf');
    expect(fieldKind('home-consumption.power')).toBe('power');
    expect(fieldKind('frequency')).toBe('frequency');
    expect(fieldKind('cts.3.name')).toBeUndefined();
  });
});
