import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LiveView } from './live-view.js';
import { StopFlag, sleepFor } from './stop-flag.js';

describe('LiveView', () => {
  it('reads through to the newest value, also through nested objects kept from before', () => {
    let accessed = 0;
    const live = new LiveView<{ a: { b: number }; c: string }>('data', () => accessed++);
    const view = live.view;
    expect(view.a).toBeUndefined();
    live.update({ a: { b: 1 }, c: 'x' });
    const kept = view.a;
    live.update({ a: { b: 2 }, c: 'y' });
    expect(kept.b).toBe(2);
    expect(view.c).toBe('y');
    expect(Object.keys(view)).toEqual(['a', 'c']);
    expect('c' in view).toBe(true);
    expect(JSON.stringify(view)).toBe('{"a":{"b":2},"c":"y"}');
    expect({ ...view.a }).toEqual({ b: 2 });
    expect(inspect(view)).toBe("{ a: { b: 2 }, c: 'y' }");
    expect(accessed).toBe(1);
  });

  it('refuses every change with an error naming the property', () => {
    const live = new LiveView<{ a: { b: number } }>('data');
    live.update({ a: { b: 1 } });
    const view = live.view as { a: { b: number; c?: number } };
    expect(() => {
      view.a.b = 5;
    }).toThrow('data["a"]["b"] is read-only');
    expect(() => {
      delete view.a.c;
    }).toThrow(/read-only/);
    expect(() => Object.defineProperty(view, 'x', { value: 1 })).toThrow(/read-only/);
    expect(live.value).toEqual({ a: { b: 1 } });
  });
});

describe('StopFlag and sleepFor', () => {
  it('returns early from sleepFor when the flag is set, and resolves wait()', async () => {
    const flag = new StopFlag();
    expect(flag.isSet()).toBe(false);
    const started = Date.now();
    const sleeping = sleepFor(60, flag);
    setTimeout(() => flag.set(), 20);
    expect(await sleeping).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(flag.signal.aborted).toBe(true);
    await flag.wait();
    expect(await sleepFor(10, flag)).toBe(true);
  });

  it('sleeps the full time when nothing stops it, and rejects a negative time', async () => {
    const flag = new StopFlag();
    expect(await sleepFor(0.02, flag)).toBe(false);
    await expect(sleepFor(-1, flag)).rejects.toThrow(/seconds >= 0/);
  });
});
