import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { REPO_ROOT } from '../../../test/helpers/processes.js';
import {
  connectOutcome,
  runCommand,
  type SecuredBroker,
  startSecuredBroker,
  subscribeCodes,
} from './support.js';

/**
 * The compose credentials and rules (docs/broker.md): services and plugins with built-in roles, people with the
 * password file and an acl_file. Every denial is checked on the wire: MQTT 5 reason codes, 3.1.1 behaviour, and
 * that nothing denied reaches another client.
 */
const accounts = {
  sampler: 'sampler-password',
  registry: 'registry-password',
  homeassistant: 'homeassistant-password',
  plugin_example: 'example-password',
  plugin_other: 'other-password',
};
const acl = [
  'user alice',
  'topic read wattbus/#',
  'topic deny wattbus/bridge/#',
  'pattern write dashboards/%u/%c',
].join('\n');

let broker: SecuredBroker;
let observer: TestClient;
beforeAll(async () => {
  broker = await startSecuredBroker({ accounts, acl, users: { alice: 'alice-password' } });
  observer = await as('registry', { clientId: 'observer' });
  await observer.subscribe('wattbus/#');
});
afterAll(async () => {
  await observer?.close();
  await broker?.stop();
});

function as(username: keyof typeof accounts | 'alice', options: IClientOptions = {}): Promise<TestClient> {
  const password = username === 'alice' ? 'alice-password' : accounts[username];
  return TestClient.connect(broker.url, { username, password, ...options });
}

/** Publishes a denied message, then an allowed marker: once the marker arrives, the denied one would have too. */
async function expectNotDelivered(
  watcher: TestClient,
  deniedTopic: string,
  marker: TestClient,
  markerTopic: string,
) {
  await marker.publish(markerTopic, 'marker');
  await watcher.waitFor(markerTopic, (message) => message.text === 'marker');
  expect(watcher.messages.filter((message) => message.topic === deniedTopic)).toEqual([]);
}

describe('a plugin account (plugin_example)', () => {
  it('publishes its own state and requests', async () => {
    const plugin = await as('plugin_example');
    await plugin.publish('wattbus/plugins/example/request/units/update', '{}');
    await plugin.publish('wattbus/plugins/example/state', 'online', { retain: true });
    await observer.waitFor('wattbus/plugins/example/request/units/update');
    await observer.waitFor('wattbus/plugins/example/state');
    await plugin.close();
  });

  it.each([
    'wattbus/plugins/other/request/units/update',
    'wattbus/plugins/other/state',
    'wattbus/devices/other/dev/1',
    'wattbus/devices/other/dev/1/set',
    'wattbus/readings',
  ])('may not publish to %s: MQTT 5 gets "not authorized", nothing is delivered', async (topic) => {
    const plugin = await as('plugin_example');
    await expect(plugin.publish(topic, 'forged')).rejects.toThrow(/not authorized/i);
    await expectNotDelivered(observer, topic, plugin, 'wattbus/plugins/example/lifecycle');
    await plugin.close();
  });

  it('is disconnected on a denied publish with MQTT 3.1.1, which has no way to say no', async () => {
    const plugin = await as('plugin_example', { protocolVersion: 4, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => plugin.client.once('close', () => resolve()));
    plugin.client.publish('wattbus/plugins/other/state', 'forged', { qos: 0 });
    await closed;
    const marker = await as('plugin_example');
    await expectNotDelivered(
      observer,
      'wattbus/plugins/other/state',
      marker,
      'wattbus/plugins/example/lifecycle',
    );
    await marker.close();
  });

  it.each([
    ['MQTT 5', 5, 0x87],
    ['MQTT 3.1.1', 4, 0x80],
  ] as const)('may not read other plugins (%s)', async (_name, protocolVersion, refused) => {
    const plugin = await as('plugin_example', { protocolVersion });
    const codes = await subscribeCodes(plugin.client, [
      'wattbus/plugins/other/response/#',
      'wattbus/plugins/+/response/#',
      'wattbus/#',
      'wattbus/plugins/example/#',
    ]);
    expect(codes).toEqual([refused, refused, refused, 1]);
    const registry = await as('registry');
    await registry.publish('wattbus/plugins/other/response/config', '{"secret":"other"}');
    await registry.publish('wattbus/plugins/example/response/config', '{"mine":true}');
    await plugin.waitFor('wattbus/plugins/example/response/config');
    const responses = plugin.messages.filter((message) => message.topic.includes('/response/'));
    expect(responses.map((message) => message.topic)).toEqual(['wattbus/plugins/example/response/config']);
    await Promise.all([plugin.close(), registry.close()]);
  });

  it('receives readings from the sampler and commands from the registry', async () => {
    const plugin = await as('plugin_example');
    await plugin.subscribe(['wattbus/readings', 'wattbus/plugins/example/#']);
    const sampler = await as('sampler');
    const registry = await as('registry');
    await sampler.publish('wattbus/readings', '{"power":1}');
    await registry.publish('wattbus/plugins/example/command', '{"command":"On"}');
    await plugin.waitFor('wattbus/readings');
    await plugin.waitFor('wattbus/plugins/example/command');
    await Promise.all([plugin.close(), sampler.close(), registry.close()]);
  });
});

describe('other service accounts', () => {
  it('homeassistant sends commands; the sampler cannot', async () => {
    const ha = await as('homeassistant');
    await ha.publish('wattbus/devices/example/dev/1/set', 'On');
    await observer.waitFor('wattbus/devices/example/dev/1/set');
    const sampler = await as('sampler');
    await expect(sampler.publish('wattbus/devices/example/dev/2/set', 'On')).rejects.toThrow(
      /not authorized/i,
    );
    await Promise.all([ha.close(), sampler.close()]);
  });

  it('nobody may publish to $SYS, not even a user with full access', async () => {
    const registry = await as('registry');
    await expect(registry.publish('$SYS/broker/fake', 'x')).rejects.toThrow(/not authorized/i);
    await registry.close();
  });

  it('a will on a topic the account may not publish to refuses the connection', async () => {
    const outcome = await connectOutcome(broker.url, {
      username: 'plugin_example',
      password: accounts.plugin_example,
      will: { topic: 'wattbus/plugins/other/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    expect(outcome).toMatch(/not authorized/i);
    const allowed = await connectOutcome(broker.url, {
      username: 'plugin_example',
      password: accounts.plugin_example,
      will: { topic: 'wattbus/plugins/example/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    expect(allowed).toBe('connected');
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    expect(await connectOutcome(broker.url)).toMatch(/not authorized/i);
    expect(await connectOutcome(broker.url, { protocolVersion: 4 })).toMatch(/not authorized/i);
    expect(await connectOutcome(broker.url, { username: 'registry', password: 'sampler-password' })).toMatch(
      /bad user ?name or password/i,
    );
  });
});

describe('acl_file users', () => {
  it('a deny rule hides part of an allowed subscription', async () => {
    const alice = await as('alice');
    await alice.subscribe('wattbus/#');
    const registry = await as('registry');
    await registry.publish('wattbus/bridge/devices', '[]');
    await registry.publish('wattbus/registry/state', 'online');
    await alice.waitFor('wattbus/registry/state');
    expect(alice.messages.filter((message) => message.topic.startsWith('wattbus/bridge/'))).toEqual([]);
    expect(await subscribeCodes(alice.client, ['wattbus/bridge/#'])).toEqual([0x87]);
    await Promise.all([alice.close(), registry.close()]);
  });

  it('pattern lines substitute the username and client id', async () => {
    const alice = await as('alice', { clientId: 'phone' });
    await alice.publish('dashboards/alice/phone', 'ok');
    await expect(alice.publish('dashboards/alice/tablet', 'no')).rejects.toThrow(/not authorized/i);
    await expect(alice.publish('wattbus/devices/example/dev/1/set', 'On')).rejects.toThrow(/not authorized/i);
    await alice.close();
  });

  it('users added and removed with wattbus-broker-passwd take effect without a restart', async () => {
    const passwd = (args: string[], input?: string) =>
      runCommand(
        process.execPath,
        [
          join(REPO_ROOT, 'services/broker/dist/passwd.js'),
          ...args,
          '--file',
          join(broker.configDir, 'passwd'),
        ],
        input,
      );
    const carol = { username: 'carol', password: 'carol-password' };
    expect(await connectOutcome(broker.url, carol)).toMatch(/bad user ?name or password/i);
    const added = await passwd(['add', 'carol'], 'carol-password\n').finished;
    expect(added.stdout).toMatch(/added carol/);
    await waitUntil(async () => (await connectOutcome(broker.url, carol)) === 'connected');
    expect((await passwd(['remove', 'carol']).finished).code).toBe(0);
    await waitUntil(async () => (await connectOutcome(broker.url, carol)) !== 'connected');
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
