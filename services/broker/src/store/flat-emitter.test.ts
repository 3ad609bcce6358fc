import mqemitter from 'mqemitter';
import { describe, expect, it } from 'vitest';
import { flattenEmitter } from './flat-emitter.js';

/** A backlog of messages that nobody receives any more, drained all at once: the broker-crashing case. */
function drainBacklog(mq: ReturnType<typeof mqemitter>, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    let release: () => void = () => {};
    // One slow delivery holds the only slot, so every later message queues.
    mq.on('slow', (_message, done) => {
      release = done;
    });
    mq.emit({ topic: 'slow' });
    const order: number[] = [];
    for (let i = 0; i < count; i++) {
      mq.emit({ topic: 'nobody/listens', i }, () => {
        order.push(i);
        if (order.length === count) resolve(order);
      });
    }
    release();
  });
}

/** The `i` of every message on topic `t`, in the order delivered; each delivery finishes at once. */
async function recordOrder(mq: ReturnType<typeof mqemitter>): Promise<number[]> {
  const seen: number[] = [];
  mq.on('t', (message, done) => {
    seen.push(message.i as number);
    done();
  });
  await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

describe('flattenEmitter', () => {
  it('reproduces the stack overflow of the unpatched emitter', async () => {
    const mq = mqemitter({ concurrency: 1 });
    await expect(drainBacklog(mq, 20_000)).rejects.toThrow(/call stack/);
  });

  it('drains a large backlog without recursing, in order', async () => {
    const mq = flattenEmitter(mqemitter({ concurrency: 1 }));
    const order = await drainBacklog(mq, 20_000);
    expect(order.length).toBe(20_000);
    expect(order.every((value, index) => value === index)).toBe(true);
  });

  it('keeps later emits behind a deferred queued message', async () => {
    const mq = flattenEmitter(mqemitter({ concurrency: 1 }));
    const seen = await recordOrder(mq);
    let release: () => void = () => {};
    mq.on('hold', (_message, done) => {
      release = done;
    });
    mq.emit({ topic: 'hold' });
    for (let i = 0; i < 200; i++) mq.emit({ topic: 't', i });
    release();
    mq.emit({ topic: 't', i: 200 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(Array.from({ length: 201 }, (_, i) => i));
  });

  it('keeps a deferred message ahead of the queue when another delivery frees a slot first', async () => {
    // Two slots: while the first drain defers a message (its stack got deep), the second slot frees up. The next
    // queued message must not start before the deferred one: aedes drops a message that arrives after a later one
    // (its per-client dedupe by broker counter), so overtaking loses messages.
    const mq = flattenEmitter(mqemitter({ concurrency: 2 }));
    const seen = await recordOrder(mq);
    const releases: (() => void)[] = [];
    mq.on('hold', (_message, done) => {
      releases.push(done);
    });
    mq.emit({ topic: 'hold' });
    mq.emit({ topic: 'hold' });
    for (let i = 0; i < 300; i++) mq.emit({ topic: 't', i });
    releases[0]?.();
    releases[1]?.();
    mq.emit({ topic: 't', i: 300 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(Array.from({ length: 301 }, (_, i) => i));
  });
});
