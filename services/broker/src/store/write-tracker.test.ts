import { describe, expect, it } from 'vitest';
import { trackWrites } from './write-tracker.js';

class FakePersistence {
  private stored: string[] = [];
  async setup(): Promise<void> {}
  storeRetained(value: string): Promise<void> {
    return new Promise((resolve) =>
      setTimeout(() => {
        this.stored.push(value);
        resolve();
      }, 30),
    );
  }
  createRetainedStream(): string[] {
    return this.stored;
  }
}

describe('trackWrites', () => {
  it('counts running operations and waits until they have finished', async () => {
    const tracked = trackWrites(new FakePersistence());
    expect(tracked.persistence.setup.constructor.name).toBe('AsyncFunction');
    void tracked.persistence.storeRetained('a');
    void tracked.persistence.storeRetained('b');
    expect(tracked.pending()).toBe(2);
    await tracked.settled(10, 2000);
    expect(tracked.pending()).toBe(0);
    expect(tracked.persistence.createRetainedStream()).toEqual(['a', 'b']);
  });

  it('gives up after the timeout when an operation never ends', async () => {
    const tracked = trackWrites({ hang: () => new Promise(() => {}) });
    void tracked.persistence.hang();
    const started = Date.now();
    await tracked.settled(10, 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(tracked.pending()).toBe(1);
  });
});
