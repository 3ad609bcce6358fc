import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { tempDir } from '../../../test/helpers/temp.js';
import { type SecuredBroker, startSecuredBroker } from './support.js';

/**
 * Retained messages and persistent sessions (QoS 1 queues of clean-session=false clients) survive a real restart
 * of the broker process: a clean stop, and a kill -9.
 */
const dataDir = tempDir('wattbus-broker-persist-');
let broker: SecuredBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});
afterAll(() => dataDir.remove());

/**
 * Waits until everything published so far is in the store. The broker acknowledges a QoS 1 publish as it routes it
 * (as Mosquitto does), so a kill -9 within milliseconds can lose a queued copy; LevelDB writes in order, so once a
 * retained message published later can be read back, the earlier writes have landed.
 */
async function storeBarrier(running: SecuredBroker, tag: string): Promise<void> {
  const client = await TestClient.connect(running.url);
  await client.publish(`barrier/${tag}`, 'stored', { retain: true, qos: 1 });
  const reader = await TestClient.connect(running.url);
  await reader.subscribe(`barrier/${tag}`);
  await reader.waitFor(`barrier/${tag}`);
  await Promise.all([client.close(), reader.close()]);
}

describe.each([
  ['a clean stop', async (running: SecuredBroker) => running.stop()],
  [
    'kill -9',
    async (running: SecuredBroker, tag: string) => {
      await storeBarrier(running, tag);
      await running.process!.kill9();
    },
  ],
])('across %s of the broker', (name, stop) => {
  it('keeps retained messages and the queues of persistent sessions', async () => {
    const port = await freePort();
    const tag = name.replace(/\W+/g, '-');
    const start = async () => {
      broker = await startSecuredBroker({ anonymous: true, dataDir: dataDir.path, port });
      return broker;
    };
    let running = await start();

    // A persistent session on each protocol version, subscribed and then away.
    const v4Options = { clientId: `keep-v4-${tag}`, clean: false, protocolVersion: 4 as const };
    const v5Options = {
      clientId: `keep-v5-${tag}`,
      clean: false,
      protocolVersion: 5 as const,
      properties: { sessionExpiryInterval: 3600 },
    };
    for (const options of [v4Options, v5Options]) {
      const client = await TestClient.connect(running.url, options);
      await client.subscribe(`persist/${tag}/queue`);
      await client.close();
    }
    const publisher = await TestClient.connect(running.url);
    await publisher.publish(`persist/${tag}/retained`, 'kept', { retain: true, qos: 1 });
    await publisher.publish(`persist/${tag}/queue`, 'queued before', { qos: 1 });
    await publisher.close();

    await stop(running, tag);
    running = await start();

    // The subscriptions themselves survived: a message published after the restart is queued too.
    const again = await TestClient.connect(running.url);
    await again.publish(`persist/${tag}/queue`, 'queued after', { qos: 1 });
    await again.close();

    const late = await TestClient.connect(running.url, { protocolVersion: 4 });
    await late.subscribe(`persist/${tag}/#`);
    const retained = await late.waitFor(`persist/${tag}/retained`);
    expect([retained.text, retained.retain]).toEqual(['kept', true]);
    await late.close();

    for (const options of [v4Options, v5Options]) {
      const client = await TestClient.connect(running.url, options);
      expect(client.client.connected).toBe(true);
      await client.waitFor(`persist/${tag}/queue`, (message) => message.text === 'queued after');
      const queued = client.messages.filter((message) => message.topic === `persist/${tag}/queue`);
      expect(
        queued.map((message) => message.text),
        options.clientId,
      ).toEqual(['queued before', 'queued after']);
      await client.close();
    }
  });
});
