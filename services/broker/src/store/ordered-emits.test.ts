import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import persistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/helpers/ports.js';
import { tempDir } from '../../../../test/helpers/temp.js';
import { orderEmits } from './ordered-emits.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startBroker(gated: boolean): Promise<{ url: string; aedes: Aedes }> {
  const dir = tempDir('wattbus-gate-');
  const db = new Level(dir.path);
  const aedes = await Aedes.createBroker({ persistence: persistenceLevel(db) });
  if (gated) orderEmits(aedes);
  const server: Server = createServer(aedes.handle);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanup.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    dir.remove();
  });
  return { url: `mqtt://127.0.0.1:${port}`, aedes };
}

/** A retained state followed at once by another message, to a subscriber of both: the pattern that lost messages. */
async function deliveredOf(url: string): Promise<string[]> {
  const subscriber = await mqtt.connectAsync(url, { protocolVersion: 5 });
  const publisher = await mqtt.connectAsync(url, { protocolVersion: 5 });
  cleanup.push(() => subscriber.endAsync(true));
  cleanup.push(() => publisher.endAsync(true));
  const received: string[] = [];
  subscriber.on('message', (topic) => received.push(topic));
  await subscriber.subscribeAsync(['w/plugins/+/state', 'w/plugins/+/lifecycle'], { qos: 1 });
  for (let i = 0; i < 20; i++) {
    publisher.publish(`w/plugins/p${i}/state`, 'online', { qos: 1, retain: true });
    publisher.publish(`w/plugins/p${i}/lifecycle`, '{}', { qos: i % 2 === 0 ? 1 : 0 });
  }
  await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThanOrEqual(20);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return received;
}

describe('orderEmits', () => {
  it('shows the aedes loss it works around: without the gate, retained messages overtaken by later ones vanish', async () => {
    const { url } = await startBroker(false);
    const received = await deliveredOf(url);
    expect(received.filter((topic) => topic.endsWith('/state')).length).toBeLessThan(20);
  });

  it('delivers every message exactly once with the on-disk store', async () => {
    const { url } = await startBroker(true);
    const received = await deliveredOf(url);
    const expected = Array.from({ length: 20 }, (_, i) => [
      `w/plugins/p${i}/state`,
      `w/plugins/p${i}/lifecycle`,
    ]).flat();
    // mqtt.js may put a QoS 0 message on the wire before a QoS 1 message it is still storing, so compare as sets.
    expect([...received].sort()).toEqual([...expected].sort());
  });

  it('does not hold delivery behind a publish that never reaches its emit', async () => {
    const { url, aedes } = await startBroker(false);
    const stalls: number[] = [];
    const gate = orderEmits(aedes, 200, (waited) => stalls.push(waited));
    const store = (aedes as unknown as { persistence: { storeRetained(packet: unknown): Promise<void> } })
      .persistence;
    const realStore = store.storeRetained.bind(store);
    store.storeRetained = (packet: { topic?: string }) =>
      packet.topic === 'stuck' ? new Promise<void>(() => {}) : realStore(packet);
    const client = await mqtt.connectAsync(url, { protocolVersion: 4 });
    cleanup.push(() => client.endAsync(true));
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    await client.subscribeAsync('#', { qos: 1 });
    client.publish('stuck', 'x', { qos: 0, retain: true });
    client.publish('after', 'y', { qos: 0 });
    await expect.poll(() => received, { timeout: 3000 }).toContain('after');
    expect(stalls.length).toBe(1);
    expect(gate.pending()).toBe(0);
  });

  it('still delivers a publish that finishes after later ones were let past it', async () => {
    const { url, aedes } = await startBroker(false);
    const stalls: number[] = [];
    orderEmits(aedes, 200, (waited) => stalls.push(waited));
    const store = (aedes as unknown as { persistence: { storeRetained(packet: unknown): Promise<void> } })
      .persistence;
    const realStore = store.storeRetained.bind(store);
    // A store write that takes longer than the gate waits, as on an overloaded machine.
    store.storeRetained = (packet: { topic?: string }) =>
      packet.topic === 'slow'
        ? new Promise<void>((resolve) => setTimeout(resolve, 600)).then(() => realStore(packet))
        : realStore(packet);
    const client = await mqtt.connectAsync(url, { protocolVersion: 5 });
    // A stored session too: its copy of a QoS 1 message is queued under the message's counter before delivery.
    const persistent = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      clientId: 'persistent',
      clean: false,
    });
    cleanup.push(() => client.endAsync(true));
    cleanup.push(() => persistent.endAsync(true));
    const received: string[] = [];
    const receivedStored: string[] = [];
    client.on('message', (topic) => received.push(topic));
    persistent.on('message', (topic) => receivedStored.push(topic));
    // Overlapping subscriptions: each message must still arrive once.
    await client.subscribeAsync(['#', 'slow', 'after'], { qos: 1 });
    await persistent.subscribeAsync('#', { qos: 1 });
    client.publish('slow', 'x', { qos: 1, retain: true });
    client.publish('after', 'y', { qos: 1 });
    await expect.poll(() => received, { timeout: 3000 }).toContain('after');
    expect(stalls.length).toBe(1);
    await expect.poll(() => received, { timeout: 3000 }).toContain('slow');
    client.publish('next', 'z', { qos: 1 });
    await expect.poll(() => received, { timeout: 3000 }).toContain('next');
    await expect.poll(() => receivedStored, { timeout: 3000 }).toContain('next');
    expect(received).toEqual(['after', 'slow', 'next']);
    expect(receivedStored).toEqual(['after', 'slow', 'next']);
    expect(persistent.connected).toBe(true);
  });
});
