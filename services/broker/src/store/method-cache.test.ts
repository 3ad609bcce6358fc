import { describe, expect, it } from 'vitest';
import { answerCleanSessionAcks } from './clean-session-acks.js';
import { methodCache } from './method-cache.js';
import { trackWrites } from './write-tracker.js';

describe('methodCache', () => {
  it('makes a wrapper once per method, and again when the property holds another function', () => {
    const wrapped = methodCache();
    let made = 0;
    const first = () => 1;
    const second = () => 2;
    const wrap = (method: () => number) => () => {
      made++;
      return () => method() * 10;
    };
    const a = wrapped('run', first, wrap(first));
    expect(wrapped('run', first, wrap(first))).toBe(a);
    expect(made).toBe(1);
    const b = wrapped('run', second, wrap(second));
    expect(b).not.toBe(a);
    expect((b as () => number)()).toBe(20);
    expect(made).toBe(2);
  });

  it('gives the store wrappers one function per method, still bound to the persistence', async () => {
    class Store {
      stored: string[] = [];
      async storeRetained(topic: string) {
        this.stored.push(topic);
      }
    }
    const store = new Store();
    const tracked = trackWrites(answerCleanSessionAcks(store));
    expect(tracked.persistence.storeRetained).toBe(tracked.persistence.storeRetained);
    const { storeRetained } = tracked.persistence;
    await storeRetained('a/b');
    expect(store.stored).toEqual(['a/b']);
    expect(tracked.pending()).toBe(0);
  });
});
