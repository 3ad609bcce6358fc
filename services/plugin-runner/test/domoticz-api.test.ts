import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../../test/helpers/index.js';
import {
  lifecycleTopic,
  messages,
  ROOTS,
  registrySeesStarted,
  type Stack,
  startStack,
  waitForMessage,
} from './runner-harness.js';

// The Domoticz-style API against the real device registry: the plugin never talks to the registry itself.

let stack: Stack;
let runner: ServiceProcess;

const BLOCK = `[plugins.domo]
enabled = true
plugin = "domoticz_all"
name = "Test hardware"
address = "10.0.0.9"
password = "hunter2"
unknown_key = 1
watchdog_interval = 0.2
callback_timeout = 3
restart_delay = 0.2
`;

function unitState(deviceId: string, unit = 1): string {
  return topicFor(topics.unitState, ROOTS, { hw: 'domo', device: deviceId, unit });
}

async function command(deviceId: string, payload: string, unit = 1): Promise<void> {
  await stack.client.publish(
    topicFor(topics.unitSet, ROOTS, { hw: 'domo', device: deviceId, unit }),
    payload,
  );
}

function report(pattern: string, timeoutMs?: number): Promise<Record<string, unknown>> {
  return waitForMessage(runner, `dz ${pattern}`, timeoutMs);
}

beforeAll(async () => {
  stack = await startStack({ registry: true });
  stack.config(`${BLOCK}\n[plugins.legacy]\nenabled = true\nplugin = "domoticz_legacy"\n`);
  runner = stack.runner('domo');
});
afterAll(async () => {
  await stack?.stop();
});

describe('a Domoticz-style plugin with the registry', () => {
  it('validates its parameters, loads devices and configuration, and calls onStart', async () => {
    const start = await report('start');
    expect(start.parameters).toMatchObject({
      key: 'domoticz_all',
      name: 'Test hardware',
      author: 'wattbus tests',
      version: '2.0.0',
      address: '10.0.0.9',
      port: '8080',
      password: 'hunter2',
      mode1: 'b',
      mode2: '',
      serialPort: '',
      domoticzVersion: 'wattbus 0.1.0',
    });
    expect((start.parameters as Record<string, string>).homeFolder).toMatch(
      /fixtures\/plugins\/domoticz_all\/$/,
    );
    expect((start.parameters as Record<string, string>).hardwareId).toMatch(/^\d+$/);
    expect(start.title).toBe('wattbus');
    expect(start.devices).toEqual([]);
    expect(await report('configuration')).toMatchObject({ starts: 1, stored: 1 });
    expect(await report('started')).toMatchObject({ devices: ['devicelevel', 'modulelevel', 'unitlevel'] });
    expect(await report('heartbeat set')).toMatchObject({ seconds: 0.5 });
    expect(runner.lines.join('\n')).toMatch(
      /keys that are not parameters of plugin domoticz_all; they are ignored: unknown_key/,
    );
    expect(messages(runner, /^Test hardware: hello from log$/)).toHaveLength(1);
    expect(messages(runner, /^Test hardware: debug visible$/)[0]).toMatchObject({ level: 'debug' });
    const dimmer = await stack.client.waitForJson<Record<string, unknown>>(unitState('modulelevel'));
    expect(dimmer).toMatchObject({ typeName: 'Dimmer', nValue: 0 });
    await registrySeesStarted(stack.client, 'domo');
  });

  it('dispatches commands to the Unit class, then the Device class, then the module, and the state follows', async () => {
    await command('unitlevel', 'On');
    expect(await report('unit onCommand')).toMatchObject({ deviceId: 'unitlevel', unit: 1, command: 'On' });
    await command('devicelevel', 'On');
    expect(await report('device onCommand')).toMatchObject({
      deviceId: 'devicelevel',
      unit: 1,
      command: 'On',
    });
    await command('modulelevel', 'On');
    expect(await report('module onCommand')).toMatchObject({
      deviceId: 'modulelevel',
      unit: 1,
      command: 'On',
    });
    await runner.waitForLine(/"msg":"dz switched","deviceId":"modulelevel"/);
    expect(messages(runner, /^dz switched$/).map((entry) => entry.by)).toEqual(['unit', 'device', 'module']);
    for (const deviceId of ['unitlevel', 'devicelevel', 'modulelevel']) {
      await stack.client.waitForJson(unitState(deviceId), (state: { nValue: number }) => state.nValue === 1);
    }
  });

  it('runs callbacks one at a time, in order, and logs a callback exception while the plugin keeps running', async () => {
    await command('modulelevel', 'Set Level 50');
    await command('unitlevel', 'Off');
    await command('modulelevel', 'Set Level 13');
    await command('devicelevel', 'Off');
    await runner.waitForLine(/"msg":"dz switched","deviceId":"devicelevel","by":"device","nValue":0/);
    const order = messages(runner, /^dz (unit|device|module) onCommand$/)
      .slice(-4)
      .map((entry) => `${entry.deviceId} ${entry.command}`);
    expect(order).toEqual([
      'modulelevel Set Level',
      'unitlevel Off',
      'modulelevel Set Level',
      'devicelevel Off',
    ]);
    expect(messages(runner, /^dz OVERLAP$/)).toEqual([]);
    const failure = messages(runner, /^onCommand failed: boom in onCommand$/)[0];
    expect(failure).toMatchObject({ level: 'error', plugin: 'domo', callback: 'onCommand' });
    expect(JSON.stringify(failure)).toMatch(/domoticz_all\.ts/);
  });

  it('creates, updates, touches, refreshes and deletes units, and sets a device TimedOut', async () => {
    await command('modulelevel', 'Set Level 77');
    expect(await report('maintenance')).toMatchObject({
      insertedAtOnce: true,
      changed: true,
      sValue: 'hello',
      gone: true,
      timedOut: true,
      text: "DeviceID: 'modulelevel', Units: 1",
    });
    expect((await report('maintenance')).id).toBeGreaterThan(0);
    await stack.client.waitForJson(
      unitState('modulelevel'),
      (state: { timedOut: boolean }) => state.timedOut === true,
    );
  });

  it('sends the updates a plugin makes in one turn as one request, each with its own outcome', async () => {
    const requests = () =>
      stack.client.messages.filter((message) =>
        message.topic.startsWith('wattbus/plugins/domo/request/unit'),
      );
    const before = requests().length;
    await command('modulelevel', 'Set Level 88');
    const burst = await report('burst');
    // Unit 30 was deleted in the same turn as the updates, after them: its update was sent first and succeeded.
    expect(burst.changed).toBe(29);
    expect(burst.failed).toEqual([expect.stringMatching(/^7: .*unit\/update: .*sValue/)]);
    expect((burst.sValues as string[])[29]).toBe('290;29000');
    await stack.client.waitForJson(
      unitState('burst', 29),
      (state: { power?: number }) => state.power === 280,
    );
    // The 30 updates left the runner in far fewer requests than 30 (how many depends on how the IPC reads split).
    const sent = requests()
      .slice(before)
      .filter((message) => message.text.includes('"burst"'));
    const batches = sent.filter((message) => message.topic.endsWith('/request/units/update'));
    const updatesSent = batches.reduce(
      (total, message) => total + (JSON.parse(message.text) as { updates: unknown[] }).updates.length,
      0,
    );
    const singles = sent.filter((message) => message.topic.endsWith('/request/unit/update'));
    expect(batches.length).toBeGreaterThan(0);
    expect(updatesSent + singles.length).toBe(30);
    expect(batches.length + singles.length).toBeLessThan(10);
    // The plugin deletes them again (the other tests expect their own devices alone).
    await report('burst deleted');
  });

  it('hears about changes made outside the plugin, notifications and security events', async () => {
    const created = await stack.bridge('unit/create', {
      hardware: 'domo',
      deviceId: 'external',
      unit: 1,
      name: 'Added outside',
      typeName: 'Switch',
    });
    expect(created.status).toBe('ok');
    expect(await report('onDeviceAdded')).toMatchObject({ deviceId: 'external', unit: 1 });
    expect(
      (
        await stack.bridge('unit/rename', {
          hardware: 'domo',
          deviceId: 'devicelevel',
          unit: 1,
          name: 'Renamed',
        })
      ).status,
    ).toBe('ok');
    expect(await report('device onDeviceModified')).toMatchObject({
      deviceId: 'devicelevel',
      unit: 1,
      name: 'Renamed',
    });
    expect(
      (
        await stack.bridge('unit/rename', {
          hardware: 'domo',
          deviceId: 'modulelevel',
          unit: 1,
          name: 'Also renamed',
        })
      ).status,
    ).toBe('ok');
    expect(await report('module onDeviceModified')).toMatchObject({
      deviceId: 'modulelevel',
      name: 'Also renamed',
    });
    expect(
      (await stack.bridge('unit/remove', { hardware: 'domo', deviceId: 'external', unit: 1 })).status,
    ).toBe('ok');
    expect(await report('onDeviceRemoved')).toMatchObject({
      deviceId: 'external',
      unit: 1,
      stillThere: true,
    });

    const sent = await stack.bridge('notification/send', {
      name: 'Kitchen',
      subject: 'Alarm',
      text: 'Smoke',
      priority: 1,
    });
    expect(sent).toMatchObject({ status: 'ok', data: { delivered: 1 } });
    expect(await report('onNotification')).toMatchObject({
      args: ['Kitchen', 'Alarm', 'Smoke', '', 1, '', ''],
    });
    expect(
      (await stack.bridge('security/set', { level: 2, description: 'Arm Away', hardware: 'domo' })).status,
    ).toBe('ok');
    expect(await report('onSecurityEvent')).toMatchObject({
      deviceId: null,
      unit: null,
      level: 2,
      description: 'Arm Away',
    });
  });

  it('sees Settings change without a restart', async () => {
    expect((await stack.bridge('settings/set', { settings: { Title: 'New title' } })).status).toBe('ok');
    await runner.waitForLine(/"msg":"dz heartbeat","title":"New title"/);
  });

  it('calls onStop on stop; after a restart the registered classes are built before onStart and the configuration persists', async () => {
    expect(await runner.stop()).toBe(0);
    expect(messages(runner, /^dz onStop$/)).toHaveLength(1);
    stack.client.clear();
    runner = stack.runner('domo');
    const start = await report('start');
    expect(start.devices).toEqual(['devicelevel', 'modulelevel', 'unitlevel']);
    expect(start.constructed).toEqual(
      expect.arrayContaining([
        'device devicelevel',
        'unit devicelevel/1',
        'device unitlevel',
        'unit unitlevel/1',
      ]),
    );
    expect(await report('configuration')).toMatchObject({ starts: 2 });
    await report('started');
    await registrySeesStarted(stack.client, 'domo');
  });

  it('reports a plugin stuck in a callback as blocked and restarts it', async () => {
    stack.client.clear();
    await command('modulelevel', 'Set Level 66');
    const blocked = await stack.client.waitForJson<{ type: string; data: Record<string, unknown> }>(
      lifecycleTopic('domo'),
      (value: { type: string }) => value.type === 'plugin_blocked',
      30_000,
    );
    expect(blocked.data).toMatchObject({ callback: 'onCommand' });
    expect(blocked.data.reason).toMatch(/inside onCommand for \d/);
    await stack.client.waitForJson(
      lifecycleTopic('domo'),
      (value: { type: string }) => value.type === 'plugin_started',
      30_000,
    );
  });
});

describe('a legacy-layout plugin with the registry', () => {
  it('creates a device with the default DeviceID, receives commands by unit and updates with the legacy arguments', async () => {
    stack.client.clear();
    const legacy = stack.runner('legacy');
    const start = await waitForMessage(legacy, 'legacy start');
    await registrySeesStarted(stack.client, 'legacy');
    const hardwareId = Number(start.hardwareId);
    const deviceId = `${hardwareId.toString(16).toUpperCase().padStart(4, '0')}0003`;
    expect(start).toMatchObject({ deviceId, units: ['3'] });
    expect(start.guard).toMatch(/legacy layout/);
    await stack.client.publish(
      topicFor(topics.unitSet, ROOTS, { hw: 'legacy', device: deviceId, unit: 3 }),
      'On',
    );
    expect(await waitForMessage(legacy, 'legacy onCommand')).toMatchObject({
      unit: 3,
      command: 'On',
      nValue: 1,
      battery: 50,
      signal: 12,
    });
    const state = await stack.client.waitForJson<Record<string, unknown>>(
      topicFor(topics.unitState, ROOTS, { hw: 'legacy', device: deviceId, unit: 3 }),
      (value: { nValue?: number }) => value.nValue === 1,
    );
    expect(state).toMatchObject({ batteryLevel: 50, signalLevel: 12, timedOut: false });
  });
});

describe('a Domoticz-style plugin whose onStart rejects its settings', () => {
  it('fails for good: plugin_failed with permanent, the message at error level, exit 78', async () => {
    stack.config('[plugins.badset]\nenabled = true\nplugin = "bad_settings"\nrestart_delay = 0.2\n');
    const failing = stack.runner('badset');
    expect(await failing.exited).toBe(78);
    const errors = messages(failing, /plugin cannot start/);
    expect(errors[0]).toMatchObject({ level: 'error' });
    expect(errors[0]!.msg).toMatch(/\[plugins.badset\] mode1 = "": the relay address is required/);
    const failed = await stack.client.waitForJson<{ type: string; data: Record<string, unknown> }>(
      lifecycleTopic('badset'),
      (notice: { type: string }) => notice.type === 'plugin_failed',
    );
    expect(failed.data).toMatchObject({ plugin: 'bad_settings', permanent: true, exit_code: 78 });
    expect(messages(failing, /checking settings/)).toHaveLength(1);
  });
});

describe('a power-monitor-style plugin with units', () => {
  it('creates its unit once, gets its commands, and the unit state follows', async () => {
    stack.config('[plugins.lamp]\nenabled = true\nplugin = "power_units"\nname = "Porch"\n');
    const lamp = stack.runner('lamp');
    const ready = await waitForMessage(lamp, 'power_units ready');
    expect(ready.id).toBeGreaterThan(0);
    expect(ready.again).toBe(true);
    await registrySeesStarted(stack.client, 'lamp');
    const set = topicFor(topics.unitSet, ROOTS, { hw: 'lamp', device: 'lamp', unit: 1 });
    const state = topicFor(topics.unitState, ROOTS, { hw: 'lamp', device: 'lamp', unit: 1 });
    await stack.client.publish(set, 'On');
    expect(await waitForMessage(lamp, 'power_units command')).toMatchObject({
      deviceId: 'lamp',
      unit: 1,
      command: 'On',
      source: 'mqtt',
      devices: ['lamp'],
    });
    await stack.client.waitForJson(state, (value: { state?: string }) => value.state === 'ON');
    // A listener that throws is logged; the next command still runs.
    await stack.client.publish(set, 'Off');
    expect(await waitForMessage(lamp, 'onCommand failed: command listener failure on purpose')).toMatchObject(
      {
        level: 'error',
      },
    );
    await stack.client.waitForJson(state, (value: { state?: string }) => value.state === 'OFF');
    await stack.client.publish(set, 'Toggle');
    await stack.client.waitForJson(state, (value: { state?: string }) => value.state === 'ON', 15_000);
    const discovery = await stack.client.waitForJson<{ command_topic?: string; device: { name: string } }>(
      `${ROOTS.discovery}/switch/+/+/config`,
      (config) => config.command_topic === set,
    );
    expect(discovery.device.name).toBe('Porch - Lamp');
    expect(await lamp.stop()).toBe(0);
  });
});
