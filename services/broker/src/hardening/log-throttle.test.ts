import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.js';

describe('LogThrottle', () => {
  it('writes the first lines of a window, then reports how many were suppressed', () => {
    let now = 0;
    const throttle = new LogThrottle(2, 1000, () => now);
    const written: number[] = [];
    for (let i = 0; i < 5; i++) throttle.run('key', (suppressed) => written.push(suppressed));
    throttle.run('other', (suppressed) => written.push(100 + suppressed));
    expect(written).toEqual([0, 0, 100]);
    now = 1000;
    throttle.run('key', (suppressed) => written.push(suppressed));
    expect(written).toEqual([0, 0, 100, 3]);
  });
});
