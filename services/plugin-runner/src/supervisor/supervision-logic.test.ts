import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './backoff.js';
import { Watchdog } from './watchdog.js';

describe('RestartBackoff', () => {
  it('doubles the delay up to the maximum, and starts over after a stable run', () => {
    const backoff = new RestartBackoff(1, 5, 60);
    expect([0, 1, 2, 3, 4].map(() => backoff.next(0))).toEqual([1, 2, 4, 5, 5]);
    expect(backoff.consecutiveFailures).toBe(5);
    expect(backoff.next(59)).toBe(5);
    expect(backoff.next(60)).toBe(1);
    expect(backoff.next(1)).toBe(2);
  });
});

describe('Watchdog', () => {
  it('finds a process that stopped answering, naming the callback it was last seen in', () => {
    const watchdog = new Watchdog(2, 0);
    watchdog.onPong(1000, 'onHeartbeat', 900);
    expect(watchdog.check(2900)).toEqual({ blocked: false });
    const verdict = watchdog.check(3100);
    expect(verdict).toMatchObject({ blocked: true, callback: 'onHeartbeat', seconds: 2.1 });
    if (verdict.blocked)
      expect(verdict.reason).toMatch(/has not answered for 2.1 s \(last seen in onHeartbeat\)/);
  });

  it('finds a plugin that answers but stays inside one callback too long', () => {
    const watchdog = new Watchdog(2, 0);
    watchdog.onPong(2500, 'onCommand', 0);
    expect(watchdog.check(2600)).toMatchObject({
      blocked: true,
      callback: 'onCommand',
      reason: 'the plugin has been inside onCommand for 2.6 s',
    });
    watchdog.onPong(2700);
    expect(watchdog.check(2800)).toEqual({ blocked: false });
  });

  it('never reports anything with a timeout of 0', () => {
    const watchdog = new Watchdog(0, 0);
    expect(watchdog.check(1e9)).toEqual({ blocked: false });
  });
});
