import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { spawnNode } from '../../../test/helpers/processes.js';
import {
  connectOutcome,
  packets,
  rawSocket,
  type SecuredBroker,
  startSecuredBroker,
  subscribeCodes,
} from './support.js';

/**
 * Bad input and misbehaving clients: each is refused or disconnected, and the broker keeps serving everyone else.
 */
let broker: SecuredBroker;
beforeAll(async () => {
  broker = await startSecuredBroker({
    anonymous: true,
    env: {
      WATTBUS__BROKER__MAX_PACKET_SIZE: '65536',
      WATTBUS__BROKER__MAX_TOPIC_LEVELS: '8',
      WATTBUS__BROKER__KEEPALIVE_LIMIT: '60',
      WATTBUS__BROKER__DRAIN_TIMEOUT: '2',
    },
  });
});
afterAll(async () => {
  await broker?.stop();
});

/** The broker still routes messages: the check after every kind of abuse. */
async function expectServing(): Promise<void> {
  expect(broker.process!.child.exitCode).toBeNull();
  const client = await TestClient.connect(broker.url);
  await client.subscribe('alive/check');
  await client.publish('alive/check', 'yes');
  expect((await client.waitFor('alive/check')).text).toBe('yes');
  await client.close();
}

describe('malformed packets', () => {
  it.each([
    ['random bytes', randomBytes(4096)],
    ['an invalid remaining length', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])],
    ['a wrong protocol name', packets.connect('x', { protocolName: 'MQTX' })],
    ['protocol level 9', packets.connect('x', { level: 9 })],
    ['a PUBLISH before CONNECT', packets.publish('a/b', 'early')],
    ['a second CONNECT', Buffer.concat([packets.connect('twice'), packets.connect('twice')])],
    [
      'a control character in a topic',
      Buffer.concat([packets.connect('ctrl'), packets.publish('a/\u0007', 'x')]),
    ],
    ['a wildcard in a PUBLISH topic', Buffer.concat([packets.connect('wild'), packets.publish('a/#', 'x')])],
    ['a packet of reserved type 0', Buffer.concat([packets.connect('zero'), Buffer.from([0x00, 0x00])])],
  ])('closes a connection that sends %s', async (_name, bytes) => {
    const socket = await rawSocket(broker.port);
    socket.write(bytes);
    await socket.ended;
    await expectServing();
  });

  it('routes a topic with ill-formed UTF-8 as the decoder read it (U+FFFD), without harm', async () => {
    const subscriber = await TestClient.connect(broker.url);
    await subscriber.subscribe('utf8/#');
    const socket = await rawSocket(broker.port);
    socket.write(
      Buffer.concat([packets.connect('utf8'), packets.publish(Buffer.from('utf8/a\xc3(', 'latin1'), 'x')]),
    );
    expect((await subscriber.waitFor('utf8/#')).topic).toBe('utf8/a\ufffd(');
    socket.destroy();
    await subscriber.close();
    await expectServing();
  });

  it('closes at once a packet that only announces a size over max_packet_size', async () => {
    const socket = await rawSocket(broker.port);
    socket.write(Buffer.concat([packets.connect('big')]));
    // 200 MB announced, 10 bytes sent: the broker must not wait for (or buffer) the rest.
    socket.write(
      Buffer.concat([Buffer.from([0x30]), packets.remainingLength(200 * 1024 * 1024), Buffer.alloc(10)]),
    );
    await socket.ended;
    await expectServing();
  });
});

describe('limits', () => {
  it('disconnects an MQTT 5 client that sends a packet over max_packet_size', async () => {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      clientId: 'too-big-v5',
    });
    // The broker sends DISCONNECT 0x95 and closes; the client may see the reset before it reads that packet.
    const reasons: (number | undefined)[] = [];
    client.on('disconnect', (packet) => reasons.push(packet.reasonCode));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('big/v5', Buffer.alloc(100_000), { qos: 0 });
    await closed;
    expect(reasons.every((reason) => reason === 0x95)).toBe(true);
    const line = await broker.process!.waitForLine(/too-big-v5.*larger than 65536 bytes/);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn' });
    client.end(true);
    await expectServing();
  });

  it('drops an MQTT 3.1.1 client that sends a packet over max_packet_size', async () => {
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('big/v4', Buffer.alloc(100_000), { qos: 0 });
    await closed;
    client.end(true);
    await expectServing();
  });

  it('refuses topics deeper than max_topic_levels, and survives ones deeper than aedes can route', async () => {
    const deep = (levels: number) => Array.from({ length: levels }, (_, i) => `l${i}`).join('/');
    // A SUBSCRIBE over the limit is a protocol violation to aedes: the connection is closed.
    const subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await expect(subscribeCodes(subscriber, [deep(9)])).rejects.toThrow(/connection closed/i);
    subscriber.end(true);
    for (const levels of [9, 150, 5000]) {
      const socket = await rawSocket(broker.port);
      socket.write(Buffer.concat([packets.connect(`deep-${levels}`), packets.publish(deep(levels), 'x')]));
      await socket.ended;
    }
    const socket = await rawSocket(broker.port);
    socket.write(Buffer.concat([packets.connect('deep-sub'), packets.subscribe(deep(5000))]));
    await socket.ended;
    const allowed = await TestClient.connect(broker.url);
    await allowed.subscribe(deep(8));
    await allowed.publish(deep(8), 'eight levels are fine');
    expect((await allowed.waitFor(deep(8))).text).toBe('eight levels are fine');
    await allowed.close();
    await expectServing();
  });

  it('refuses an MQTT 3.1.1 keepalive over keepalive_limit, and tells an MQTT 5 client the limit', async () => {
    expect(await connectOutcome(broker.url, { protocolVersion: 4, keepalive: 600 })).toMatch(
      /identifier rejected/i,
    );
    expect(await connectOutcome(broker.url, { protocolVersion: 4, keepalive: 0 })).toMatch(
      /identifier rejected/i,
    );
    expect(await connectOutcome(broker.url, { protocolVersion: 4, keepalive: 30 })).toBe('connected');
    const v5 = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      keepalive: 600,
      reconnectPeriod: 0,
    });
    expect(v5.serverProperties?.serverKeepAlive).toBe(60);
    expect(v5.keepalive).toBe(60);
    v5.end(true);
  });

  it('drops a subscriber that stops reading, so it cannot stall delivery to the others', async () => {
    const stuck = await rawSocket(broker.port);
    stuck.write(Buffer.concat([packets.connect('stuck-reader'), packets.subscribe('flood/#')]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    stuck.pause();
    const healthy = await TestClient.connect(broker.url);
    await healthy.subscribe('flood/#');
    const publisher = await TestClient.connect(broker.url);
    const count = 400;
    const payload = Buffer.alloc(60_000, 1);
    for (let i = 0; i < count; i++) publisher.client.publish(`flood/${i}`, payload, { qos: 0 });
    await healthy.waitFor(`flood/${count - 1}`, () => true, 30_000);
    await broker.process!.waitForLine(/did not read its messages/, 30_000);
    expect(healthy.messages.filter((message) => message.topic.startsWith('flood/')).length).toBe(count);
    stuck.destroy();
    await Promise.all([healthy.close(), publisher.close()]);
    await expectServing();
  });

  it('logs the takeover of a client id that is already connected', async () => {
    const first = await mqtt.connectAsync(broker.url, {
      clientId: 'twin',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    const kicked = new Promise<number | undefined>((resolve) =>
      first.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const second = await mqtt.connectAsync(broker.url, {
      clientId: 'twin',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    expect(await kicked).toBe(0x8e);
    const line = await broker.process!.waitForLine(/takes over its session/);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', clientId: 'twin' });
    first.end(true);
    second.end(true);
  });
});

describe('connect-rate limit', () => {
  it('refuses connections over the rate from one address, then admits them again', async () => {
    const limited = await startSecuredBroker({
      anonymous: true,
      env: { WATTBUS__BROKER__CONNECT_RATE_LIMIT: '2', WATTBUS__BROKER__CONNECT_RATE_BURST: '3' },
    });
    try {
      // The start-up probe of the test harness took one connection of the burst of 3.
      const outcomes = [];
      for (let i = 0; i < 4; i++) outcomes.push(await connectOutcome(limited.url));
      expect(outcomes.slice(0, 2)).toEqual(['connected', 'connected']);
      expect(outcomes.slice(2)).not.toContain('connected');
      await limited.process!.waitForLine(/refused connection: more than 2\/s from one address/);
      // 2 per second: one token is back after half a second.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(await connectOutcome(limited.url)).toBe('connected');
    } finally {
      await limited.stop();
    }
  });
});

describe('bad settings', () => {
  const start = (env: Record<string, string>) =>
    spawnNode('broker', 'services/broker/dist/main.js', {
      WATTBUS_CONFIG: undefined,
      WATTBUS__BROKER__HOST: '127.0.0.1',
      WATTBUS__BROKER__WEBSOCKET_PORT: '0',
      WATTBUS__BROKER__HEALTH_PORT: '0',
      WATTBUS__BROKER__STORE: 'memory',
      ...env,
    });

  it('stops with exit code 78 naming the port when it is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const broker = start({ WATTBUS__BROKER__PORT: String(port) });
      expect(await broker.exited).toBe(78);
      expect(broker.lines.join('\n')).toContain(
        `[broker] port = ${port} on 127.0.0.1: cannot listen: the port is in use`,
      );
    } finally {
      blocker.close();
    }
  });

  it('stops at once with exit code 78 when the data directory cannot be made (under /proc)', async () => {
    // Node's recursive mkdir never returns for such a path; the broker once spun at 100 % CPU, deaf to SIGTERM.
    const broker = start({
      WATTBUS__BROKER__PORT: String(await freePort()),
      WATTBUS__BROKER__STORE: 'level',
      WATTBUS__BROKER__DATA_DIR: '/proc/wattbus-nope',
    });
    const timer = setTimeout(() => void broker.kill9(), 10_000);
    expect(await broker.exited).toBe(78);
    clearTimeout(timer);
    expect(broker.lines.join('\n')).toContain(
      "[broker] data_dir: cannot open the store in /proc/wattbus-nope/store: ENOENT: no such file or directory, mkdir '/proc/wattbus-nope'",
    );
  });

  it('stops with exit code 78 naming a missing setting', async () => {
    const broker = start({
      WATTBUS__BROKER__PORT: String(await freePort()),
      WATTBUS__BROKER__STORE: 'redis',
    });
    expect(await broker.exited).toBe(78);
    expect(broker.lines.join('\n')).toMatch(
      /broker\.redis_url = \(missing\) \(from defaults\): must be set when store = "redis"/,
    );
  });
});
