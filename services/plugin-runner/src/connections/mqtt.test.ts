import { chmodSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  startMosquitto,
  startWattbusBroker,
  type TestBroker,
  TestClient,
  tempDir,
} from '../../../../test/helpers/index.js';
import { RuntimeHarness, selfSignedCertificate } from '../../test/runtime-harness.js';
import { Connection } from './connection.js';

let harness: RuntimeHarness;
const brokers: TestBroker[] = [];
const clients: TestClient[] = [];
const certificateDir = tempDir('wattbus-mqtts-');

afterEach(async () => {
  harness?.dispose();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.stop()));
  certificateDir.remove();
});

interface Dict {
  verb: string;
  [key: string]: unknown;
}

function dicts(verb: string): Dict[] {
  return (harness.messages() as Dict[]).filter((message) => message.verb === verb);
}

/** CONNECT, SUBSCRIBE, PUBLISH to itself and from another client, PING, as a plugin would. */
async function exercise(connection: Connection, external: TestClient): Promise<void> {
  connection.connect();
  expect((await harness.waitFor('onConnect')).args[1]).toBe(0);
  connection.send({ verb: 'CONNECT', id: 'plugin-test', keepAlive: 30 });
  await harness.waitFor('onMessage', () => dicts('CONNACK').length === 1);
  expect(dicts('CONNACK')[0]).toMatchObject({ status: 0, description: 'Connection Accepted' });
  expect(() => connection.send({ verb: 'SHOUT' })).toThrow(/an MQTT message: verb/);
  connection.send({ verb: 'SUBSCRIBE', topics: [{ topic: 'plugin/in/#', qos: 1 }, 'plugin/echo'] });
  await harness.waitFor('onMessage', () => dicts('SUBACK').length === 1);
  expect(dicts('SUBACK')[0]).toMatchObject({ packetIdentifier: 1, topics: [{ status: 1 }, { status: 0 }] });
  connection.send({ verb: 'PUBLISH', topic: 'plugin/echo', payload: 'to myself', qos: 1 });
  await harness.waitFor('onMessage', () => dicts('PUBLISH').length === 1 && dicts('PUBACK').length === 1);
  expect(dicts('PUBLISH')[0]).toMatchObject({ topic: 'plugin/echo', qos: 0, retain: false });
  expect((dicts('PUBLISH')[0]!.payload as Buffer).toString()).toBe('to myself');
  await external.publish('plugin/in/kitchen', '{"on":true}', { qos: 1 });
  await harness.waitFor('onMessage', () => dicts('PUBLISH').length === 2);
  expect(dicts('PUBLISH')[1]).toMatchObject({ topic: 'plugin/in/kitchen', qos: 1 });
  await external.subscribe('plugin/out');
  connection.send({
    verb: 'PUBLISH',
    topic: 'plugin/out',
    payload: Buffer.from('from the plugin'),
    retain: true,
  });
  expect((await external.waitFor('plugin/out')).text).toBe('from the plugin');
  connection.send({ verb: 'PING' });
  await harness.waitFor('onMessage', () => dicts('PINGRESP').length === 1);
  connection.send({ verb: 'DISCONNECT' });
  await harness.waitFor('onDisconnect');
}

describe('MQTT protocol', () => {
  it('connects, subscribes, publishes and receives through the embedded broker', async () => {
    harness = new RuntimeHarness();
    const broker = await startWattbusBroker();
    brokers.push(broker);
    const external = await TestClient.connect(broker.url);
    clients.push(external);
    const connection = new Connection({
      name: 'Broker',
      transport: 'TCP/IP',
      protocol: 'MQTT',
      address: '127.0.0.1',
      port: broker.port,
    });
    await exercise(connection, external);
  });
});

describe('MQTTS protocol', () => {
  it('does the same over TLS with Mosquitto', async () => {
    harness = new RuntimeHarness();
    const certificate = selfSignedCertificate(certificateDir.path);
    // Mosquitto started as root reads its files as the mosquitto user.
    chmodSync(certificateDir.path, 0o755);
    for (const file of [certificate.certFile, certificate.keyFile]) chmodSync(file, 0o644);
    const tlsPort = await freePort();
    const broker = await startMosquitto(
      [
        `listener ${tlsPort} 127.0.0.1`,
        `certfile ${certificate.certFile}`,
        `keyfile ${certificate.keyFile}`,
      ].join('\n'),
    );
    brokers.push(broker);
    const external = await TestClient.connect(broker.url);
    clients.push(external);
    const connection = new Connection({
      name: 'Secure broker',
      transport: 'TCP/IP',
      protocol: 'MQTTS',
      address: '127.0.0.1',
      port: tlsPort,
    });
    await exercise(connection, external);
  });
});
