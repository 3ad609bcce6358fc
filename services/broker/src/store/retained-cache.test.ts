import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cacheRetained, type RetainedPacket } from './retained-cache.js';

/** A store whose writes finish only when the test says so; records the order in which writes started. */
class SlowStore {
  stored = new Map<string, RetainedPacket>();
  started: string[] = [];
  maxRunningPerTopic = 0;
  setupCalls = 0;
  destroyed = false;
  fail = false;
  scans = 0;
  private releases: (() => void)[] = [];
  private running = new Map<string, number>();

  async setup(_broker?: unknown): Promise<void> {
    this.setupCalls++;
  }

  storeRetained(packet: RetainedPacket): Promise<void> {
    this.started.push(`${packet.topic}=${String(packet.payload)}`);
    const count = (this.running.get(packet.topic) ?? 0) + 1;
    this.running.set(packet.topic, count);
    this.maxRunningPerTopic = Math.max(this.maxRunningPerTopic, count);
    return new Promise((resolve, reject) => {
      this.releases.push(() => {
        this.running.set(packet.topic, this.running.get(packet.topic)! - 1);
        if (this.fail) return reject(new Error('disk full'));
        if (packet.payload.length === 0) this.stored.delete(packet.topic);
        else this.stored.set(packet.topic, packet);
        resolve();
      });
    });
  }

  /** Lets every write started so far finish. */
  async release(): Promise<void> {
    for (const release of this.releases.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
  }

  createRetainedStream(pattern: string) {
    this.scans++;
    expect(pattern).toBe('#');
    return Readable.from([...this.stored.values()]);
  }

  /** What aedes-persistence-level does for a SUBSCRIBE: the cache must never call it. */
  createRetainedStreamCombi(_patterns: string[]): Readable {
    throw new Error('the store was scanned for a subscription');
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }
}

const packet = (topic: string, payload: string): RetainedPacket => ({ topic, payload: Buffer.from(payload) });
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function read(stream: AsyncIterable<RetainedPacket>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of stream) out.push(`${item.topic}=${String(item.payload)}`);
  return out.sort();
}

/** A batch written as the store's own writes, one per message; the batch fails if any of them does. */
const writeEach = (store: SlowStore) => async (packets: RetainedPacket[]) => {
  const results = await Promise.allSettled(packets.map((entry) => store.storeRetained(entry)));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
};

async function opened(store: SlowStore, onError: (error: Error, topic: string) => void = () => {}) {
  const cache = cacheRetained(store, onError, writeEach(store));
  await cache.persistence.setup({});
  return cache;
}

describe('cacheRetained', () => {
  it('loads the stored retained messages once, at setup, and answers subscriptions from memory', async () => {
    const store = new SlowStore();
    store.stored.set('a/1', packet('a/1', 'one'));
    store.stored.set('b/1', packet('b/1', 'two'));
    const { persistence, size } = await opened(store);
    expect(store.setupCalls).toBe(1);
    expect(size()).toBe(2);
    expect(await read(persistence.createRetainedStreamCombi(['a/+', 'b/#', 'a/1']))).toEqual([
      'a/1=one',
      'b/1=two',
    ]);
    expect(await read(persistence.createRetainedStream('c/#'))).toEqual([]);
    expect(store.scans).toBe(1);
  });

  it('resolves a store at once and serves the new value before it is written; deletions too', async () => {
    const store = new SlowStore();
    store.stored.set('a', packet('a', 'old'));
    store.stored.set('gone', packet('gone', 'x'));
    const { persistence, pending } = await opened(store);
    await persistence.storeRetained(packet('a', 'new'));
    await persistence.storeRetained(packet('gone', ''));
    expect(store.started).toEqual([]);
    expect(pending()).toBe(2);
    expect(await read(persistence.createRetainedStream('#'))).toEqual(['a=new']);
    await tick();
    await store.release();
    expect(String(store.stored.get('a')!.payload)).toBe('new');
    expect(store.stored.has('gone')).toBe(false);
  });

  it('writes only the newest message of a topic, and never two writes of one topic at once', async () => {
    const store = new SlowStore();
    const { persistence, flush } = await opened(store);
    void persistence.storeRetained(packet('a', '1'));
    void persistence.storeRetained(packet('a', '2'));
    await tick();
    expect(store.started).toEqual(['a=2']);
    // Stored while the first write runs: waits for it.
    void persistence.storeRetained(packet('a', '3'));
    void persistence.storeRetained(packet('b', '1'));
    await tick();
    expect(store.started).toEqual(['a=2']);
    await store.release();
    expect(store.started).toEqual(['a=2', 'a=3', 'b=1']);
    const flushed = flush();
    await store.release();
    await flushed;
    expect(store.maxRunningPerTopic).toBe(1);
    expect(String(store.stored.get('a')!.payload)).toBe('3');
  });

  it('keeps the message as it was when stored, whatever happens to the packet afterwards', async () => {
    const store = new SlowStore();
    const { persistence, flush } = await opened(store);
    const original = { ...packet('a', '1'), properties: { messageExpiryInterval: 5 } } as RetainedPacket & {
      clientId?: string;
    };
    void persistence.storeRetained(original);
    original.clientId = 'someone';
    original.properties!.messageExpiryInterval = 99;
    const flushed = flush();
    await tick();
    await store.release();
    await flushed;
    const stored = store.stored.get('a') as RetainedPacket & { clientId?: string };
    expect(stored.clientId).toBeUndefined();
    expect(stored.properties).toEqual({ messageExpiryInterval: 5 });
  });

  it('writes everything before the store is destroyed', async () => {
    const store = new SlowStore();
    const { persistence } = await opened(store);
    void persistence.storeRetained(packet('a', '1'));
    const destroyed = persistence.destroy();
    await tick();
    expect(store.destroyed).toBe(false);
    await store.release();
    await destroyed;
    expect(store.destroyed).toBe(true);
    expect(store.stored.has('a')).toBe(true);
  });

  it('reports a failed write and carries on', async () => {
    const store = new SlowStore();
    const failures: string[] = [];
    const { persistence, flush } = await opened(store, (error, topic) =>
      failures.push(`${topic}: ${error.message}`),
    );
    store.fail = true;
    void persistence.storeRetained(packet('a', '1'));
    let flushed = flush();
    await tick();
    await store.release();
    await flushed;
    expect(failures).toEqual(['a: disk full']);
    store.fail = false;
    void persistence.storeRetained(packet('b', '1'));
    flushed = flush();
    await tick();
    await store.release();
    await flushed;
    expect(store.stored.has('b')).toBe(true);
  });

  it('hands a whole burst to writeBatch in one call, and reports each topic of a failed batch', async () => {
    const store = new SlowStore();
    const batches: string[][] = [];
    const failures: string[] = [];
    let fail = false;
    const cache = cacheRetained(
      store,
      (error, topic) => failures.push(`${topic}: ${error.message}`),
      async (packets) => {
        batches.push(packets.map((entry) => `${entry.topic}=${String(entry.payload)}`));
        if (fail) throw new Error('disk full');
      },
    );
    await cache.persistence.setup({});
    for (const [topic, payload] of [
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['c', ''],
    ] as const) {
      void cache.persistence.storeRetained(packet(topic, payload));
    }
    await cache.flush();
    expect(batches).toEqual([['a=2', 'b=1', 'c=']]);
    expect(store.stored.size).toBe(0);
    fail = true;
    void cache.persistence.storeRetained(packet('d', '1'));
    void cache.persistence.storeRetained(packet('e', '1'));
    await cache.flush();
    expect(failures).toEqual(['d: disk full', 'e: disk full']);
    expect(await read(cache.persistence.createRetainedStream('#'))).toEqual(['a=2', 'b=1', 'd=1', 'e=1']);
  });

  it('answers the callback form of storeRetained too, and setup stays an async function', async () => {
    const store = new SlowStore();
    const { persistence } = await opened(store);
    expect(persistence.setup.constructor.name).toBe('AsyncFunction');
    const answered = await new Promise<Error | null>((resolve) =>
      (persistence.storeRetained as (p: RetainedPacket, cb: (e: Error | null) => void) => void)(
        packet('c', '1'),
        resolve,
      ),
    );
    expect(answered).toBeNull();
  });
});
