import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { REPO_ROOT, spawnNode } from '../../../test/helpers/processes.js';
import { connectOutcome, type SecuredBroker, startSecuredBroker } from './support.js';

/** mqtt.js on both protocol versions, over every listener (TCP, WebSocket, TLS), and the health endpoint. */
const fixtures = join(REPO_ROOT, 'services/broker/test/fixtures');
const login = { username: 'alice', password: 'alice-password' };
let broker: SecuredBroker;
let ports: { websocket: number; tls: number; health: number };

beforeAll(async () => {
  ports = { websocket: await freePort(), tls: await freePort(), health: await freePort() };
  broker = await startSecuredBroker({
    users: { alice: 'alice-password' },
    env: {
      WATTBUS__BROKER__WEBSOCKET_PORT: String(ports.websocket),
      WATTBUS__BROKER__TLS_PORT: String(ports.tls),
      WATTBUS__BROKER__TLS_CERT_FILE: join(fixtures, 'test-cert.pem'),
      WATTBUS__BROKER__TLS_KEY_FILE: join(fixtures, 'test-key.pem'),
      WATTBUS__BROKER__HEALTH_PORT: String(ports.health),
    },
  });
  await broker.process!.waitForLine(/health endpoint/);
});
afterAll(async () => {
  await broker?.stop();
});

describe.each([5, 4] as const)('mqtt.js with protocol version %i', (protocolVersion) => {
  const topic = (name: string) => `mqttjs/v${protocolVersion}/${name}`;

  it('publishes, subscribes and keeps retained messages at QoS 0 and 1', async () => {
    const publisher = await TestClient.connect(broker.url, { ...login, protocolVersion });
    const subscriber = await TestClient.connect(broker.url, { ...login, protocolVersion });
    await subscriber.subscribe(topic('#'));
    await publisher.publish(topic('qos0'), 'zero', { qos: 0 });
    await publisher.publish(topic('qos1'), 'one', { qos: 1 });
    await publisher.publish(topic('kept'), 'retained', { qos: 1, retain: true });
    expect((await subscriber.waitFor(topic('qos0'))).text).toBe('zero');
    expect((await subscriber.waitFor(topic('qos1'))).text).toBe('one');
    expect((await subscriber.waitFor(topic('kept'))).retain).toBe(false);

    const late = await TestClient.connect(broker.url, { ...login, protocolVersion });
    await late.subscribe(topic('kept'));
    const replayed = await late.waitFor(topic('kept'));
    expect(replayed.text).toBe('retained');
    expect(replayed.retain).toBe(true);
    await Promise.all([publisher.close(), subscriber.close(), late.close()]);
  });

  it('is refused with a wrong password', async () => {
    expect(await connectOutcome(broker.url, { ...login, password: 'wrong', protocolVersion })).toMatch(
      /bad user ?name or password/i,
    );
  });
});

it('passes MQTT 5 properties through and still serves 3.1.1 subscribers', async () => {
  const v5 = await TestClient.connect(broker.url, { ...login, protocolVersion: 5 });
  const v4 = await TestClient.connect(broker.url, { ...login, protocolVersion: 4 });
  await v5.subscribe('mqttjs/props');
  await v4.subscribe('mqttjs/props');
  const received = new Promise<mqtt.IPublishPacket>((resolve) =>
    v5.client.on('message', (_topic, _payload, packet) => resolve(packet)),
  );
  await v5.client.publishAsync('mqttjs/props', 'with properties', {
    qos: 1,
    properties: { userProperties: { source: 'test' }, contentType: 'text/plain', messageExpiryInterval: 60 },
  });
  const packet = await received;
  expect(packet.properties?.userProperties).toEqual({ source: 'test' });
  expect(packet.properties?.contentType).toBe('text/plain');
  expect((await v4.waitFor('mqttjs/props')).text).toBe('with properties');
  await Promise.all([v5.close(), v4.close()]);
});

it('serves MQTT over WebSocket at /mqtt, sharing messages with TCP clients', async () => {
  const tcp = await TestClient.connect(broker.url, login);
  await tcp.subscribe('listeners/ws');
  const ws = await TestClient.connect(`ws://127.0.0.1:${ports.websocket}/mqtt`, login);
  await ws.publish('listeners/ws', 'from a browser');
  expect((await tcp.waitFor('listeners/ws')).text).toBe('from a browser');
  await ws.close();
  expect(await connectOutcome(`ws://127.0.0.1:${ports.websocket}/elsewhere`, login)).not.toBe('connected');
  const page = await fetch(`http://127.0.0.1:${ports.websocket}/mqtt`);
  expect(page.status).toBe(426);
  await tcp.close();
});

it('serves MQTT over TLS with the configured certificate', async () => {
  const tcp = await TestClient.connect(broker.url, login);
  await tcp.subscribe('listeners/tls');
  const tls = await TestClient.connect(`mqtts://127.0.0.1:${ports.tls}`, {
    ...login,
    ca: readFileSync(join(fixtures, 'test-cert.pem')),
    rejectUnauthorized: true,
  });
  await tls.publish('listeners/tls', 'encrypted');
  expect((await tcp.waitFor('listeners/tls')).text).toBe('encrypted');
  await Promise.all([tls.close(), tcp.close()]);
  // Plain MQTT sent to the TLS port fails the handshake without harming the broker.
  expect(await connectOutcome(`mqtt://127.0.0.1:${ports.tls}`, login)).not.toBe('connected');
  expect(await connectOutcome(broker.url, login)).toBe('connected');
});

describe('health', () => {
  it('answers GET /health with a JSON report', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.health}/health`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as Record<string, unknown>;
    expect(report).toMatchObject({ status: 'ok', store: 'level', problems: [] });
    expect(report.listeners).toEqual([
      { name: 'mqtt', host: '127.0.0.1', port: broker.port },
      { name: 'websocket', host: '127.0.0.1', port: ports.websocket },
      { name: 'tls', host: '127.0.0.1', port: ports.tls },
    ]);
    expect((await fetch(`http://127.0.0.1:${ports.health}/other`)).status).toBe(404);
  });

  it('passes the compose health check script, and fails it when nothing answers', async () => {
    const check = (port: number) =>
      spawnNode('healthcheck', 'services/broker/dist/healthcheck.js', {
        WATTBUS_CONFIG: undefined,
        WATTBUS__BROKER__HOST: '127.0.0.1',
        WATTBUS__BROKER__HEALTH_PORT: String(port),
      }).exited;
    expect(await check(ports.health)).toBe(0);
    expect(await check(await freePort())).toBe(1);
  });
});
