import {
  BridgeDevices,
  type DiscoveryConfig,
  PluginCommand,
  type PluginEvent,
  topicFor,
  topics,
  UnitState,
} from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { tempDir } from '../../../test/helpers/temp.js';
import {
  connectBridgeClient,
  connectPlugin,
  type RegistryProcess,
  ROOTS,
  readRetainedJson,
  startRegistryProcess,
  waitUntilCleared,
} from './processes.js';

/**
 * The registry as a real process on the embedded broker, driven the way its users drive it: a plugin speaking the
 * plugin protocol, an MQTT client sending commands and bridge requests, Home Assistant's topics, and curl's HTTP.
 */
let broker: TestBroker;
let registry: RegistryProcess;
let watcher: TestClient;
const dir = tempDir('wattbus-registry-process-');
const TOKEN = 'test-token-123';

let plugin: Awaited<ReturnType<typeof connectPlugin>>;
let bridge: Awaited<ReturnType<typeof connectBridgeClient>>;

const stateTopic = (hw: string, device: string, unit: number) =>
  topicFor(topics.unitState, ROOTS, { hw, device, unit });
const setTopic = (hw: string, device: string, unit: number) =>
  topicFor(topics.unitSet, ROOTS, { hw, device, unit });

beforeAll(async () => {
  broker = await startWattbusBroker();
  watcher = await TestClient.connect(broker.url);
  await watcher.subscribe(['wattbus/#', 'homeassistant/#']);
  registry = await startRegistryProcess(broker, dir.path, { WATTBUS__REGISTRY__HTTP_TOKEN: TOKEN });
  plugin = await connectPlugin(broker, 'power');
  bridge = await connectBridgeClient(broker);
  await plugin.client.request('hardware/announce', {
    plugin: 'power_devices',
    name: 'Power',
    layout: 'extended',
    settings: {},
  });
});

afterAll(async () => {
  await plugin?.bus.close();
  await bridge?.bus.close();
  await watcher?.close();
  await registry?.process.stop();
  await broker?.stop();
  dir.remove();
});

const retainedState = async (topic: string, predicate: (state: UnitState) => boolean = () => true) =>
  UnitState.parse(await readRetainedJson<UnitState>(broker.url, topic, predicate));

describe('plugin protocol over MQTT', () => {
  it('creates and updates units and publishes their retained, decoded state', async () => {
    const created = await plugin.client.request('unit/create', {
      deviceId: 'Mains/1',
      unit: 1,
      name: 'Total',
      typeName: 'kWh',
      used: true,
    });
    expect(created.unit).toMatchObject({ deviceId: 'Mains/1', name: 'Power - Total', typeName: 'kWh' });
    const updated = await plugin.client.request('unit/update', {
      deviceId: 'Mains/1',
      unit: 1,
      changes: { sValue: '1500;123456' },
    });
    expect(updated.changed).toBe(true);
    const topic = stateTopic('power', 'Mains/1', 1);
    expect(topic).toBe('wattbus/devices/power/Mains%2F1/1');
    // Retained: any client that subscribes gets it from the broker, decoded (kWh sValue energy is Wh).
    const state = await retainedState(topic, (body) => body.sValue === '1500;123456');
    expect(state).toMatchObject({ power: 1500, energy: 123.456, typeName: 'kWh', timedOut: false });
  });

  it('answers a bad request with the reason and changes nothing', async () => {
    const before = await plugin.client.request('devices/list', {});
    const response = watcher.waitForJson<{ status: string; error: string; transaction: string }>(
      'wattbus/plugins/power/response/unit/update',
      (body) => body.transaction === 'bad-1',
    );
    await watcher.publish(
      'wattbus/plugins/power/request/unit/update',
      JSON.stringify({
        transaction: 'bad-1',
        deviceId: 'Mains/1',
        unit: 1,
        changes: { sValue: '1500;plenty' },
      }),
    );
    expect(await response).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/field 2 \(energy\)/),
    });
    const noTransaction = watcher.waitForJson<{ status: string; error: string }>(
      'wattbus/plugins/power/response/unit/create',
      (body) => body.status === 'error',
    );
    await watcher.publish('wattbus/plugins/power/request/unit/create', '{"not json');
    expect(await noTransaction).toMatchObject({ error: expect.stringMatching(/not valid JSON/) });
    expect(await plugin.client.request('devices/list', {})).toEqual(before);
  });

  it('reports a request on a topic it cannot read, which has no response topic to answer on', async () => {
    const rejected = watcher.waitForJson<{ type: string; data: { topic: string; error: string } }>(
      'wattbus/bridge/event',
      (event) => event.type === 'request_rejected',
    );
    await watcher.publish(
      'wattbus/plugins/no such hw/request/unit/update',
      JSON.stringify({ transaction: 'lost-1', deviceId: 'Mains/1', unit: 1, changes: { sValue: '1;1' } }),
    );
    expect((await rejected).data).toMatchObject({
      topic: 'wattbus/plugins/no such hw/request/unit/update',
      error: expect.stringMatching(/does not match plugins\/\{hw\}\/request\/\{op\}/),
    });
  });

  it('refuses to let a plugin touch another plugin’s units', async () => {
    const other = await connectPlugin(broker, 'intruder');
    await other.client.request('hardware/announce', {
      plugin: 'x',
      name: 'Intruder',
      layout: 'extended',
      settings: {},
    });
    await expect(
      other.client.request('unit/update', { deviceId: 'Mains/1', unit: 1, changes: { sValue: '1;1' } }),
    ).rejects.toThrow(/does not exist on hardware intruder|does not exist/);
    await other.bus.close();
    expect((await retainedState(stateTopic('power', 'Mains/1', 1))).sValue).toBe('1500;123456');
  });
});

describe('commands', () => {
  beforeAll(async () => {
    await plugin.client.request('unit/create', {
      deviceId: 'lamp',
      unit: 1,
      name: 'Lamp',
      typeName: 'Dimmer',
    });
    await plugin.bus.client.subscribeAsync('wattbus/plugins/power/command', { qos: 1 });
  });

  function nextCommand(predicate: (command: PluginCommand) => boolean = () => true): Promise<PluginCommand> {
    return new Promise((resolve) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic !== 'wattbus/plugins/power/command') return;
        const command = PluginCommand.parse(JSON.parse(payload.toString()));
        if (!predicate(command)) return;
        plugin.bus.client.off('message', onMessage);
        resolve(command);
      };
      plugin.bus.client.on('message', onMessage);
    });
  }

  it('routes plain and JSON commands to the plugin with onCommand arguments', async () => {
    const level = nextCommand((command) => command.command === 'Set Level');
    await watcher.publish(setTopic('power', 'lamp', 1), 'Set Level 40');
    expect(await level).toEqual({
      deviceId: 'lamp',
      unit: 1,
      command: 'Set Level',
      level: 40,
      color: null,
      source: 'mqtt',
    });
    const toggle = nextCommand((command) => command.command === 'On');
    await watcher.publish(setTopic('power', 'lamp', 1), JSON.stringify({ command: 'toggle' }));
    expect(await toggle).toMatchObject({ command: 'On', level: 0 });
  });

  it('refuses invalid, unknown and retained commands with an event, and never delivers them', async () => {
    const failures: Promise<{ type: string; data: Record<string, unknown> }>[] = [];
    const failed = (reason: RegExp) =>
      watcher.waitForJson<{ type: string; data: { reason: string } }>(
        'wattbus/bridge/event',
        (event) => event.type === 'command_failed' && reason.test(event.data.reason),
      );
    failures.push(failed(/does not accept "Set Color"|needs a color/));
    await watcher.publish(setTopic('power', 'lamp', 1), 'Set Color');
    failures.push(failed(/does not exist/));
    await watcher.publish(setTopic('power', 'nothing-here', 9), 'On');
    failures.push(failed(/retain flag/));
    await watcher.publish(setTopic('power', 'lamp', 1), 'Off', { retain: true });
    failures.push(failed(/must be between 1 and 255|does not match/));
    await watcher.publish('wattbus/devices/power/lamp/0/set', 'On');
    const events = await Promise.all(failures);
    expect(events).toHaveLength(4);
    // The retained command must not have reached the plugin: the next command it sees is the one after it.
    const next = nextCommand();
    await watcher.publish(setTopic('power', 'lamp', 1), 'On');
    expect((await next).command).toBe('On');
    await watcher.publish(setTopic('power', 'lamp', 1), '', { retain: true });
  });

  it('refuses commands for an offline plugin and reports the plugin offline', async () => {
    const helper = await connectPlugin(broker, 'sleepy');
    await helper.client.request('hardware/announce', {
      plugin: 's',
      name: 'Sleepy',
      layout: 'extended',
      settings: {},
    });
    await helper.client.request('unit/create', {
      deviceId: 'd',
      unit: 1,
      name: 'Switch',
      typeName: 'Switch',
    });
    // A crash: the broker publishes the will.
    helper.bus.client.stream.destroy();
    await watcher.waitForJson(
      'wattbus/bridge/event',
      (event: { type: string; data: { plugin?: string } }) =>
        event.type === 'plugin_offline' && event.data.plugin === 'sleepy',
    );
    const refused = watcher.waitForJson<{ type: string; data: { reason: string } }>(
      'wattbus/bridge/event',
      (event) => event.type === 'command_failed' && /sleepy is offline/.test(event.data.reason),
    );
    await watcher.publish(setTopic('sleepy', 'd', 1), 'On');
    await refused;
    helper.bus.client.end(true);
  });

  it('relays lifecycle notices with the plugin id of the topic', async () => {
    const relayed = watcher.waitForJson<{ type: string; data: Record<string, unknown> }>(
      'wattbus/bridge/event',
      (event) => event.type === 'plugin_failed',
    );
    await plugin.bus.publish(
      topics.pluginLifecycle,
      { hw: 'power' },
      { type: 'plugin_failed', data: { plugin: 'someone-else', error: 'boom' } },
    );
    expect(await relayed).toEqual({ type: 'plugin_failed', data: { plugin: 'power', error: 'boom' } });
  });
});

describe('bridge API and events to plugins', () => {
  it('lists, renames and removes, telling the plugin and clearing retained topics', async () => {
    await plugin.client.request('unit/create', {
      deviceId: 'tmp',
      unit: 2,
      name: 'Temp',
      typeName: 'Temperature',
      sValue: '20.5',
    });
    const config = 'homeassistant/sensor/wattbus_power/tmp_2/config';
    await readRetainedJson<DiscoveryConfig>(broker.url, config);
    const events: PluginEvent[] = [];
    plugin.bus.subscribe(topics.pluginEvent, { hw: 'power' }, (event) => {
      events.push(event);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));

    const listed = BridgeDevices.parse(await bridge.client.request('devices/list', { hardware: 'power' }));
    expect(listed.hardware[0]).toMatchObject({ id: 'power', online: true, layout: 'extended' });
    const renamed = await bridge.client.request('unit/rename', {
      hardware: 'power',
      deviceId: 'tmp',
      unit: 2,
      name: 'Attic',
    });
    expect(renamed.unit.name).toBe('Attic');
    await readRetainedJson<DiscoveryConfig>(broker.url, config, (body) => body.device?.name === 'Attic');
    expect(
      await bridge.client.request('unit/remove', { hardware: 'power', deviceId: 'tmp', unit: 2 }),
    ).toEqual({ removed: true });
    await waitUntilCleared(broker.url, config);
    await waitUntilCleared(broker.url, stateTopic('power', 'tmp', 2));
    await expect.poll(() => events.map((event) => event.type)).toEqual(['device_modified', 'device_removed']);
    await expect(
      bridge.client.request('unit/rename', { hardware: 'power', deviceId: 'tmp', unit: 2, name: 'x' }),
    ).rejects.toThrow(/does not exist/);
  });

  it('keeps bridge/devices and the live settings retained', async () => {
    const settings = await bridge.client.request('settings/set', { settings: { Language: 'nl' } });
    expect(settings.settings).toMatchObject({ Title: 'wattbus', Language: 'nl', DB_Version: '1' });
    await readRetainedJson<Record<string, string>>(
      broker.url,
      'wattbus/bridge/settings',
      (body) => body.Language === 'nl',
    );
    const devices = await readRetainedJson<BridgeDevices>(broker.url, 'wattbus/bridge/devices', (body) =>
      body.hardware.some(
        (hardware) =>
          hardware.id === 'power' && hardware.devices.some((device) => device.deviceId === 'lamp'),
      ),
    );
    expect(BridgeDevices.safeParse(devices).success).toBe(true);
  });

  it('delivers notifications and security events to plugins', async () => {
    await plugin.client.request('notifier/register', { name: 'Pushover' });
    const events: PluginEvent[] = [];
    plugin.bus.subscribe(topics.pluginEvent, { hw: 'power' }, (event) => {
      events.push(event);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await bridge.client.request('notification/send', { subject: 'Hi', text: 'there' })).toEqual({
      delivered: 1,
    });
    expect(await bridge.client.request('security/set', { level: 2, description: 'Armed Away' })).toEqual({
      delivered: 1,
    });
    await expect.poll(() => events.map((event) => event.type)).toEqual(['notification', 'security']);
    expect(events[0]).toMatchObject({ name: '', subject: 'Hi', text: 'there', priority: 0 });
  });
});

describe('HTTP API', () => {
  const url = (path: string) => `http://127.0.0.1:${registry.httpPort}${path}`;
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('requires the bearer token', async () => {
    expect((await fetch(url('/api/health'))).status).toBe(401);
    expect((await fetch(url('/api/health'), { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const health = await fetch(url('/api/health'), { headers: auth });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', data: { database: 'ok', mqtt: 'connected' } });
  });

  it('reads devices and units and sends commands', async () => {
    const devices = (await (await fetch(url('/api/devices?hardware=power'), { headers: auth })).json()) as {
      data: unknown;
    };
    expect(BridgeDevices.parse(devices.data).hardware[0]!.id).toBe('power');
    const unit = await fetch(url('/api/units/power/Mains%2F1/1'), { headers: auth });
    expect(await unit.json()).toMatchObject({
      data: { unit: { name: 'Power - Total', sValue: '1500;123456' } },
    });
    const received = new Promise<PluginCommand>((resolve) =>
      plugin.bus.client.on('message', (topic, payload) => {
        if (topic === 'wattbus/plugins/power/command')
          resolve(PluginCommand.parse(JSON.parse(payload.toString())));
      }),
    );
    const sent = await fetch(url('/api/units/power/lamp/1/command'), {
      method: 'POST',
      headers: auth,
      body: 'Off',
    });
    expect(await sent.json()).toEqual({ status: 'ok', data: { delivered: true } });
    expect(await received).toMatchObject({ command: 'Off', source: 'http' });
  });

  it('answers bad requests with a reason and a fitting status', async () => {
    const missing = await fetch(url('/api/units/power/nothing/1'), { headers: auth });
    expect(missing.status).toBe(404);
    const badUnit = await fetch(url('/api/units/power/lamp/256/command'), {
      method: 'POST',
      headers: auth,
      body: 'On',
    });
    expect(badUnit.status).toBe(400);
    const wrongType = await fetch(url('/api/units/power/Mains%2F1/1/command'), {
      method: 'POST',
      headers: auth,
      body: 'On',
    });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/does not take commands/),
    });
    const rename = await fetch(url('/api/bridge/unit/rename'), {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ hardware: 'power', deviceId: 'lamp', unit: 1, name: 'Desk lamp' }),
    });
    expect(await rename.json()).toMatchObject({ status: 'ok', data: { unit: { name: 'Desk lamp' } } });
    const patch = await fetch(url('/api/units/power/lamp/1'), {
      method: 'PATCH',
      headers: auth,
      body: '{"used":true}',
    });
    expect(await patch.json()).toMatchObject({ data: { unit: { used: true } } });
  });
});

describe('Home Assistant discovery', () => {
  it('publishes configs for units and republishes them when Home Assistant comes online', async () => {
    const energy = 'homeassistant/sensor/wattbus_power/-4d61696e732f31_1_energy/config';
    const config = await readRetainedJson<DiscoveryConfig>(broker.url, energy);
    expect(config).toMatchObject({
      device_class: 'energy',
      state_class: 'total_increasing',
      unit_of_measurement: 'kWh',
    });
    // The broker lost the config (a broker without persistence, say); Home Assistant's birth brings it back.
    await watcher.publish(energy, '', { retain: true });
    await waitUntilCleared(broker.url, energy);
    await watcher.publish('homeassistant/status', 'online');
    expect(await readRetainedJson<DiscoveryConfig>(broker.url, energy)).toEqual(config);
  });
});
