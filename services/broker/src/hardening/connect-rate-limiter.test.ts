import { describe, expect, it } from 'vitest';
import { ConnectRateLimiter } from './connect-rate-limiter.js';

describe('ConnectRateLimiter', () => {
  it('allows a burst, then the average rate, per address', () => {
    let now = 0;
    const limiter = new ConnectRateLimiter(2, 3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.admit('10.0.0.1'))).toEqual([true, true, true, false]);
    // Another address has its own bucket.
    expect(limiter.admit('10.0.0.2')).toBe(true);
    now += 500; // one token back at 2/s
    expect(limiter.admit('10.0.0.1')).toBe(true);
    expect(limiter.admit('10.0.0.1')).toBe(false);
    now += 60_000; // refills to the burst, not beyond
    expect([1, 2, 3, 4].map(() => limiter.admit('10.0.0.1'))).toEqual([true, true, true, false]);
  });

  it('is off at rate 0', () => {
    const limiter = new ConnectRateLimiter(0, 1);
    expect(limiter.enabled).toBe(false);
    expect([1, 2, 3].every(() => limiter.admit('10.0.0.1'))).toBe(true);
  });

  it('does not grow without bound with many addresses', () => {
    let now = 0;
    const limiter = new ConnectRateLimiter(10, 10, () => now);
    for (let i = 0; i < 25_000; i++) {
      limiter.admit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      now += 1;
    }
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(
      10_000,
    );
  });
});
