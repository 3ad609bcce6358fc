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
type User = keyof typeof users;
/** MQTT 3.1.1 options for `user` on the shared client id; clean session off (resume) unless `clean`. */
const as = (user: User, clean = false) => ({
  username: user,
  password: users[user],
  clientId: CLIENT_ID,
  clean,
  protocolVersion: 4 as const,
});
/** Connects as `user` and resumes the stored session: "connected", or why the broker refused. */
const resume = (user: User) => connectOutcome(broker!.url, as(user));

it('only the owner of a stored session may resume it, also after a restart; a clean start replaces it', async () => {
  const port = await freePort();
  broker = await startSecuredBroker({ users, dataDir: dataDir.path, port });

  const alice = await TestClient.connect(broker.url, as('alice'));
  await alice.subscribe('home/alerts');
  await alice.close();
  const publisher = await TestClient.connect(broker.url, { username: 'alice', password: users.alice });
  await publisher.publish('home/alerts', 'for alice only', { qos: 1 });
  await publisher.close();

  // Bob, resuming Alice's session with either protocol version, is refused and told why in the broker's log.
  expect(await resume('bob')).toMatch(/not authorized/i);
  expect(
    await connectOutcome(broker.url, {
      ...as('bob'),
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    }),
  ).toMatch(/not authorized/i);
  const line = await broker.process!.waitForLine(/has a stored session of another user/);
  expect(JSON.parse(line)).toMatchObject({ clientId: CLIENT_ID, username: 'bob' });

  // The binding is kept with the sessions: after a restart Bob is still refused.
  await broker.stop();
  broker = await startSecuredBroker({ users, dataDir: dataDir.path, port });
  expect(await resume('bob')).toMatch(/not authorized/i);

  // Alice resumes her own session and gets what was queued for her.
  const back = await TestClient.connect(broker.url, as('alice'));
  await back.waitFor('home/alerts', (message) => message.text === 'for alice only');
  await back.close();

  // A clean start by Bob is allowed: it discards the stored session, and the id is his while he keeps one.
  expect(await connectOutcome(broker.url, as('bob', true))).toBe('connected');
  expect(await resume('bob')).toBe('connected');
  expect(await resume('alice')).toMatch(/not authorized/i);
});
