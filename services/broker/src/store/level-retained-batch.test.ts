import persistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { levelRetainedBatch } from './level-retained-batch.js';
import type { RetainedPacket } from './retained-cache.js';

interface StoredPacket {
  topic: string;
  payload: Buffer;
  properties?: Record<string, unknown>;
}

/** What aedes-persistence-level itself reads back: the broker loads its retained messages this way at start. */
async function readBack(path: string): Promise<StoredPacket[]> {
  const db = new Level(path);
  await db.open();
  const persistence = persistenceLevel(db) as unknown as {
    createRetainedStream(pattern: string): AsyncIterable<StoredPacket>;
  };
  const packets: StoredPacket[] = [];
  for await (const packet of persistence.createRetainedStream('#')) packets.push(packet);
  await db.close();
  return packets.sort((a, b) => a.topic.localeCompare(b.topic));
}

describe('levelRetainedBatch', () => {
  it("writes in aedes-persistence-level's own layout, and an empty payload deletes", async () => {
    const dir = tempDir();
    const db = new Level(dir.path);
    await db.open();
    const write = levelRetainedBatch(db);
    const packet = (
      topic: string,
      payload: string,
      properties?: Record<string, unknown>,
    ): RetainedPacket => ({
      topic,
      payload: Buffer.from(payload),
      ...(properties ? { properties } : {}),
    });
    await write([
      packet('wattbus/readings', '{"power":1}', { messageExpiryInterval: 30 }),
      packet('wattbus/devices/p/d%2F1/1', 'state'),
      packet('homeassistant/sensor/x/config', 'gone soon'),
    ]);
    await write([packet('homeassistant/sensor/x/config', '')]);
    await db.close();

    const stored = await readBack(dir.path);
    expect(stored.map((entry) => [entry.topic, Buffer.from(entry.payload).toString()])).toEqual([
      ['wattbus/devices/p/d%2F1/1', 'state'],
      ['wattbus/readings', '{"power":1}'],
    ]);
    expect(stored[1]!.properties).toEqual({ messageExpiryInterval: 30 });
    dir.remove();
  });
});
