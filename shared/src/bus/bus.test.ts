import { afterEach, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { MqttSection } from '../config/sections/mqtt.js';
import { topics } from '../contract/topics.js';
import { createLogger } from '../log/logger.js';
import { Bus } from './bus.js';
import { createPluginRequestClient, RequestError } from './request-client.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const logger = createLogger({ service: 'bus-test', level: 'silent' });

function connectBus(broker: TestBroker, stateTopic?: string, service = 'bus-test'): Bus {
  const bus = Bus.connect({
    service,
    mqtt: MqttSection.parse({ url: broker.url, reconnect_period: 0.2 }),
    stateTopic,
    logger,
  });
  cleanup.push(() => bus.close());
  return bus;
}

async function watcher(broker: TestBroker, filter: string): Promise<TestClient> {
  const client = await TestClient.connect(broker.url);
  cleanup.push(() => client.close());
  await client.subscribe(filter);
  return client;
}

describe('Bus', () => {
  it('publishes online on connect, offline on close, and offline as its will when it dies', async () => {
    const broker = await startWattbusBroker();
    cleanup.push(() => broker.stop());
    const watch = await watcher(broker, 'wattbus/sampler/state');
    const bus = connectBus(broker, 'wattbus/sampler/state');
    await bus.waitUntilConnected();
    await watch.waitFor('wattbus/sampler/state', (m) => m.text === 'online');
    await bus.close();
    await watch.waitFor('wattbus/sampler/state', (m) => m.text === 'offline');

    watch.clear();
    const dying = connectBus(broker, 'wattbus/registry/state', 'dying');
    await dying.waitUntilConnected();
    await watch.subscribe('wattbus/registry/state');
    await watch.waitFor('wattbus/registry/state', (m) => m.text === 'online');
    dying.client.stream.destroy();
    await watch.waitFor('wattbus/registry/state', (m) => m.text === 'offline');
  });

  it('resubscribes and republishes its retained topics after the broker comes back without its store', async () => {
    const first = await startWattbusBroker();
    const port = first.port;
    const bus = connectBus(first, 'wattbus/sampler/state');
    const received: string[] = [];
    bus.subscribe(topics.pluginCommand, { hw: 'x' }, (command) => {
      received.push(command.command);
    });
    await bus.waitUntilConnected();
    await bus.publishRaw('wattbus/test/kept', 'value', { retain: true, qos: 1 });
    await bus.publishRaw('wattbus/test/gone', 'old', { retain: true, qos: 1 });
    await bus.clearRetained('wattbus/test/gone');
    expect(bus.ownedRetainedTopics()).toEqual(['wattbus/test/kept']);
    await first.stop();

    const second = await startWattbusBroker({}, { port });
    cleanup.push(() => second.stop());
    const watch = await watcher(second, 'wattbus/#');
    await watch.waitFor('wattbus/test/kept', (m) => m.text === 'value', 20_000);
    await watch.waitFor('wattbus/sampler/state', (m) => m.text === 'online');
    expect(watch.messages.some((m) => m.topic === 'wattbus/test/gone')).toBe(false);

    const command = { deviceId: 'd', unit: 1, command: 'On', level: 0, color: null };
    await expect
      .poll(
        async () => {
          await watch.publish('wattbus/plugins/x/command', JSON.stringify(command));
          return received.length;
        },
        { timeout: 10_000, interval: 300 },
      )
      .toBeGreaterThan(0);
    expect(received[0]).toBe('On');
  });

  it('validates inbound payloads and never hands an invalid one to the handler', async () => {
    const broker = await startWattbusBroker();
    cleanup.push(() => broker.stop());
    const bus = connectBus(broker);
    const good: unknown[] = [];
    const bad: string[] = [];
    bus.subscribe(
      topics.pluginCommand,
      {},
      (payload, params) => {
        good.push([params.hw, payload.unit]);
      },
      (error) => {
        bad.push(error);
      },
    );
    await bus.waitUntilConnected();
    const client = await TestClient.connect(broker.url);
    cleanup.push(() => client.close());
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.publish(
      'wattbus/plugins/p1/command',
      '{"deviceId":"d","unit":0,"command":"On","level":0,"color":null}',
    );
    await client.publish('wattbus/plugins/p1/command', 'not json');
    await client.publish(
      'wattbus/plugins/p1/command',
      '{"deviceId":"d","unit":3,"command":"On","level":0,"color":null}',
    );
    await expect.poll(() => good.length + bad.length, { timeout: 10_000 }).toBe(3);
    expect(good).toEqual([['p1', 3]]);
    expect(bad[0]).toMatch(/^unit: must be between 1 and 255/);
    expect(bad[1]).toMatch(/not valid JSON/);
  });

  it('correlates requests and responses by transaction and times out without an answer', async () => {
    const broker = await startWattbusBroker();
    cleanup.push(() => broker.stop());
    const runner = connectBus(broker, undefined, 'runner');
    const responder = connectBus(broker, undefined, 'responder');
    responder.subscribe(topics.pluginRequest, { hw: 'p1' }, async (request, params) => {
      const data = params.op === 'config/get' ? { configuration: { a: 1 } } : undefined;
      await responder.publish(
        topics.pluginResponse,
        { hw: 'p1', op: params.op },
        data
          ? { status: 'ok', data, transaction: request.transaction }
          : { status: 'error', error: 'nope', transaction: request.transaction },
      );
    });
    await Promise.all([runner.waitUntilConnected(), responder.waitUntilConnected()]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const client = createPluginRequestClient(runner, 'p1', 2000);
    await expect(client.request('config/get', {})).resolves.toEqual({ configuration: { a: 1 } });
    await expect(client.request('devices/list', {})).rejects.toThrow('devices/list: nope');
    await expect(client.request('unit/delete', { deviceId: 'x', unit: 0 })).rejects.toBeInstanceOf(
      RequestError,
    );
    const silent = createPluginRequestClient(runner, 'nobody', 300);
    await expect(silent.request('config/get', {})).rejects.toThrow(/no response within 300 ms/);
  });
});
