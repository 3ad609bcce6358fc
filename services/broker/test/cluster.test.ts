import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort, waitForPort } from '../../../test/helpers/ports.js';
import { type SecuredBroker, startSecuredBroker } from './support.js';

/**
 * Cluster mode: two broker processes sharing a real redis-server (Debian's), started here on a free port. Messages
 * cross instances through mqemitter-redis and retained state through aedes-persistence-redis.
 */
let redis: ChildProcess;
let redisPort: number;
let healthPort: number;
let a: SecuredBroker;
let b: SecuredBroker;

async function startRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort(redisPort);
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  healthPort = await freePort();
  const cluster = (health?: number) => ({
    anonymous: true,
    env: {
      WATTBUS__BROKER__STORE: 'redis',
      WATTBUS__BROKER__REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
      ...(health ? { WATTBUS__BROKER__HEALTH_PORT: String(health) } : {}),
    },
  });
  [a, b] = await Promise.all([startSecuredBroker(cluster(healthPort)), startSecuredBroker(cluster())]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  redis?.kill('SIGKILL');
});

it('delivers a message published on instance A to a subscriber on instance B', async () => {
  const subscriber = await TestClient.connect(b.url);
  await subscriber.subscribe('cluster/live/#');
  const publisher = await TestClient.connect(a.url, { protocolVersion: 4 });
  await publisher.publish('cluster/live/qos0', 'zero', { qos: 0 });
  await publisher.publish('cluster/live/qos1', 'one', { qos: 1 });
  expect((await subscriber.waitFor('cluster/live/qos0')).text).toBe('zero');
  expect((await subscriber.waitFor('cluster/live/qos1')).text).toBe('one');
  await Promise.all([subscriber.close(), publisher.close()]);
});

it('shows a retained message set through A to a new subscriber on B', async () => {
  const publisher = await TestClient.connect(a.url);
  await publisher.publish('cluster/retained', 'shared', { retain: true, qos: 1 });
  await publisher.close();
  const late = await TestClient.connect(b.url);
  await late.subscribe('cluster/#');
  // The live copy may still be crossing Redis when B subscribes; the replayed retained copy is the one that counts.
  const message = await late.waitFor('cluster/retained', (received) => received.retain);
  expect(message.text).toBe('shared');
  await late.close();
});

it('reports the store as unhealthy while Redis is down, and recovers when it returns', async () => {
  const health = async () => (await fetch(`http://127.0.0.1:${healthPort}/health`)).status;
  const waitForHealth = async (status: number) => {
    const deadline = Date.now() + 20_000;
    while ((await health()) !== status) {
      if (Date.now() > deadline) throw new Error(`health did not turn ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  expect(await health()).toBe(200);
  redis.kill('SIGKILL');
  await waitForHealth(503);
  await startRedis();
  await waitForHealth(200);
  const subscriber = await TestClient.connect(b.url);
  await subscriber.subscribe('cluster/again');
  const publisher = await TestClient.connect(a.url);
  await publisher.publish('cluster/again', 'redis is back');
  expect((await subscriber.waitFor('cluster/again')).text).toBe('redis is back');
  await Promise.all([subscriber.close(), publisher.close()]);
});
