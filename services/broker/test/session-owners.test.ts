import { afterAll, afterEach, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { tempDir } from '../../../test/helpers/temp.js';
import { connectOutcome, type SecuredBroker, startSecuredBroker } from './support.js';

/**
 * A stored session (clean session off) belongs to the user who created it: another user who connects with its
 * client id may not resume it and receive what was queued for its owner, not even after a broker restart. Starting
 * clean is allowed and discards it, so a client id is never locked out for good.
 */
const dataDir = tempDir('wattbus-broker-sessions-');
const users = { alice: 'alice-password', bob: 'bob-password' };
let broker: SecuredBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});
afterAll(() => dataDir.remove());

const CLIENT_ID = 'kitchen-tablet';
const as = (username: keyof typeof users) => ({ username, password: users[username] });

it('only the owner of a stored session may resume it, also after a restart; a clean start replaces it', async () => {
  const port = await freePort();
  broker = await startSecuredBroker({ users, dataDir: dataDir.path, port });

  const alice = await TestClient.connect(broker.url, {
    ...as('alice'),
    clientId: CLIENT_ID,
    clean: false,
    protocolVersion: 4,
  });
  await alice.subscribe('home/alerts');
  await alice.close();
  const publisher = await TestClient.connect(broker.url, as('alice'));
  await publisher.publish('home/alerts', 'for alice only', { qos: 1 });
  await publisher.close();

  // Bob, resuming Alice's session with either protocol version, is refused and told why in the broker's log.
  expect(
    await connectOutcome(broker.url, { ...as('bob'), clientId: CLIENT_ID, clean: false, protocolVersion: 4 }),
  ).toMatch(/not authorized/i);
  expect(
    await connectOutcome(broker.url, {
      ...as('bob'),
      clientId: CLIENT_ID,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    }),
  ).toMatch(/not authorized/i);
  const line = await broker.process!.waitForLine(/has a stored session of another user/);
  expect(JSON.parse(line)).toMatchObject({ clientId: CLIENT_ID, username: 'bob' });

  // The binding is kept with the sessions: after a restart Bob is still refused.
  await broker.stop();
  broker = await startSecuredBroker({ users, dataDir: dataDir.path, port });
  expect(
    await connectOutcome(broker.url, { ...as('bob'), clientId: CLIENT_ID, clean: false, protocolVersion: 4 }),
  ).toMatch(/not authorized/i);

  // Alice resumes her own session and gets what was queued for her.
  const back = await TestClient.connect(broker.url, {
    ...as('alice'),
    clientId: CLIENT_ID,
    clean: false,
    protocolVersion: 4,
  });
  await back.waitFor('home/alerts', (message) => message.text === 'for alice only');
  await back.close();

  // A clean start by Bob is allowed: it discards the stored session, and the id is his while he keeps one.
  const fresh = await TestClient.connect(broker.url, {
    ...as('bob'),
    clientId: CLIENT_ID,
    clean: true,
    protocolVersion: 4,
  });
  expect(fresh.client.connected).toBe(true);
  await fresh.close();
  const bobs = await TestClient.connect(broker.url, {
    ...as('bob'),
    clientId: CLIENT_ID,
    clean: false,
    protocolVersion: 4,
  });
  expect(bobs.client.connected).toBe(true);
  await bobs.close();
  expect(
    await connectOutcome(broker.url, {
      ...as('alice'),
      clientId: CLIENT_ID,
      clean: false,
      protocolVersion: 4,
    }),
  ).toMatch(/not authorized/i);
});
