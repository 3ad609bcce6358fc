import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto, startWattbusBroker, type TestBroker } from './brokers.js';
import { TestClient } from './mqtt.js';

const brokers: TestBroker[] = [];
afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.stop()));
});

describe.each([
  ['embedded', startWattbusBroker],
  ['mosquitto', () => startMosquitto()],
])('test harness against the %s broker', (_name, start) => {
  it('delivers a retained message to a later subscriber', async () => {
    const broker = await start();
    brokers.push(broker);
    const publisher = await TestClient.connect(broker.url);
    await publisher.publish('harness/retained', 'kept', { retain: true });
    const subscriber = await TestClient.connect(broker.url, { protocolVersion: 4 });
    await subscriber.subscribe('harness/#');
    const message = await subscriber.waitFor('harness/retained');
    expect(message.text).toBe('kept');
    expect(message.retain).toBe(true);
    await publisher.close();
    await subscriber.close();
  });
});
