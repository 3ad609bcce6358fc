import { Readable } from 'node:stream';
import { methodCache } from './method-cache.js';
import { RetainedTree } from './retained-tree.js';

/**
 * Retained messages served from memory and written to the on-disk store behind delivery, as Mosquitto does.
 *
 * aedes-persistence-level answers each SUBSCRIBE by reading and decoding every retained message in LevelDB and
 * testing its topic against the filter. With the device registry's retained state and Home Assistant discovery
 * (thousands of topics), each subscription cost the broker 0.1-0.3 s of CPU, and a few dozen plugin runners
 * starting kept it busy for tens of seconds. aedes also emits a retained message only after `storeRetained` has
 * finished, so every retained publish (each reading, each unit state) waited for a LevelDB write on the thread
 * pool, and through the ordering gate (ordered-emits.ts) so did every message published after it.
 *
 * Here the retained messages are loaded into a topic tree when the store opens; a subscription walks the tree.
 * `storeRetained` updates the tree and resolves at once; the writes follow on the next turn of the event loop,
 * coalesced per topic (only the newest message of a topic is written) and one batch at a time, so two writes of
 * one topic never race on the thread pool.
 *
 * What this gives up: a broker killed with `kill -9` loses the retained messages of its last few milliseconds (the
 * services publish their retained state again when they reconnect), and memory holds every retained message. A
 * clean stop writes everything first.
 */
export interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
  properties?: Record<string, unknown>;
}

interface RetainedStore {
  setup(broker: unknown): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<RetainedPacket>;
  destroy(): Promise<void>;
}

export interface RetainedCache<T extends object> {
  persistence: T;
  /** Retained messages held (and served) in memory. */
  size(): number;
  /** Retained messages not yet written to the store. */
  pending(): number;
  /** Resolves once everything recorded so far is written. */
  flush(): Promise<void>;
}

const isEmpty = (packet: RetainedPacket) => packet.payload.length === 0;

/**
 * `writeBatch` writes a whole batch of the newest message per topic (an empty payload deletes) to the store behind
 * `persistence`, e.g. level-retained-batch.ts.
 */
export function cacheRetained<T extends object>(
  persistence: T,
  onError: (error: Error, topic: string) => void,
  writeBatch: (packets: RetainedPacket[]) => Promise<void>,
): RetainedCache<T> {
  const target = persistence as unknown as RetainedStore;
  const tree = new RetainedTree<RetainedPacket>();
  let queued = new Map<string, RetainedPacket>();
  let writing = 0;
  let flushing: Promise<void> | undefined;

  const writeAll = async () => {
    // One turn of the event loop gathers a burst into one batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queued.size > 0) {
      const batch = [...queued.values()];
      queued = new Map();
      writing = batch.length;
      await writeBatch(batch).catch((error: Error) => {
        for (const packet of batch) onError(error, packet.topic);
      });
      writing = 0;
    }
    flushing = undefined;
  };

  const storeRetained = (packet: RetainedPacket, callback?: (error: Error | null) => void) => {
    // A copy as it is now: aedes goes on to use the packet for delivery (and sets fields on it).
    const copy: RetainedPacket = { ...packet };
    if (packet.properties) copy.properties = { ...packet.properties };
    if (isEmpty(copy)) tree.delete(copy.topic);
    else tree.set(copy.topic, copy);
    queued.set(copy.topic, copy);
    flushing ??= writeAll();
    if (callback) {
      process.nextTick(callback, null);
      return undefined;
    }
    return Promise.resolve();
  };

  const retainedStream = (patterns: string[]) => {
    const found = new Map<string, RetainedPacket>();
    for (const pattern of patterns) {
      for (const packet of tree.match(pattern)) found.set(packet.topic, packet);
    }
    return Readable.from([...found.values()]);
  };

  // Stays an async function: aedes refuses a persistence whose setup() is not one.
  async function setup(broker: unknown) {
    await target.setup(broker);
    for await (const packet of target.createRetainedStream('#')) tree.set(packet.topic, packet);
  }

  const flush = async () => {
    while (flushing) await flushing;
  };

  const wrapped = methodCache();
  const proxy = new Proxy(persistence, {
    get(object, property, receiver) {
      switch (property) {
        case 'setup':
          return setup;
        case 'storeRetained':
          return storeRetained;
        case 'createRetainedStream':
          return (pattern: string) => retainedStream([pattern]);
        case 'createRetainedStreamCombi':
          return retainedStream;
        case 'destroy':
          return async (...args: unknown[]) => {
            await flush();
            return (target.destroy as (...rest: unknown[]) => Promise<void>).apply(object, args);
          };
        default: {
          const value = Reflect.get(object, property, receiver);
          return typeof value === 'function' ? wrapped(property, value, () => value.bind(object)) : value;
        }
      }
    },
  });
  return { persistence: proxy, size: () => tree.size, pending: () => queued.size + writing, flush };
}
