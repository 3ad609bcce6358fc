import { createRequire } from 'node:module';
import type { RetainedPacket } from './retained-cache.js';

const require = createRequire(import.meta.url);
/**
 * The encoder aedes-persistence-level itself uses (its own msgpack-lite, whatever version the top level has), so
 * what is written here reads back exactly like what it writes.
 */
const msgpack = createRequire(require.resolve('aedes-persistence-level'))('msgpack-lite') as {
  encode(value: unknown): Buffer;
};

/** aedes-persistence-level's key for a retained message (its `RETAINED` prefix). */
const retainedKey = (topic: string) => `retained:${topic}`;

type Operation = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

interface BatchingDb {
  batch(operations: Operation[], options: { valueEncoding: 'buffer' }): Promise<void>;
}

/**
 * Writes a batch of retained messages to the LevelDB store in one `batch` call, in aedes-persistence-level's own
 * layout (an empty payload deletes). aedes-persistence-level writes one message per `put`, each a separate call into
 * the native binding and a separate job on the thread pool: with unit states and readings flowing, those calls were
 * about a third of the broker's CPU (`node --cpu-prof` under bench/registry/state-ceiling.ts's load).
 */
export function levelRetainedBatch(db: unknown): (packets: RetainedPacket[]) => Promise<void> {
  const level = db as BatchingDb;
  return (packets) =>
    level.batch(
      packets.map((packet) =>
        packet.payload.length === 0
          ? { type: 'del', key: retainedKey(packet.topic) }
          : { type: 'put', key: retainedKey(packet.topic), value: msgpack.encode(packet) },
      ),
      { valueEncoding: 'buffer' },
    );
}
