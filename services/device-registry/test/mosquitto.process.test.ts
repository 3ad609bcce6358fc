import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PluginCommand } from '@wattbus/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { freePort } from '../../../test/helpers/ports.js';
import { tempDir } from '../../../test/helpers/temp.js';
import { connectPlugin, type RegistryProcess, startRegistryProcess } from './processes.js';

const run = promisify(execFile);

/**
 * The registry on Debian's Mosquitto over MQTT 3.1.1, driven by Mosquitto's own command-line clients: programs
 * nobody here wrote.
 */
let broker: TestBroker;
const dir = tempDir('wattbus-registry-mosquitto-');
let registry: RegistryProcess | undefined;
const MQTT_311 = { WATTBUS__MQTT__PROTOCOL_VERSION: '4' };

beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  await registry?.process.stop();
  registry = undefined;
});
afterAll(async () => {
  await broker?.stop();
  dir.remove();
});

const mosquittoPub = (topic: string, message: string, retain = false) =>
  run('mosquitto_pub', [
    '-p',
    String(broker.port),
    '-q',
    '1',
    ...(retain ? ['-r'] : []),
    '-t',
    topic,
    '-m',
    message,
  ]);
const mosquittoSubOne = async (topic: string) =>
  (await run('mosquitto_sub', ['-p', String(broker.port), '-C', '1', '-W', '10', '-t', topic])).stdout.trim();

describe('a broker that is not there yet', () => {
  it('keeps the registry up, waiting, and serves as soon as the broker starts', async () => {
    const port = await freePort();
    const late = tempDir('wattbus-registry-late-');
    const placeholder = { ...broker, url: `mqtt://127.0.0.1:${port}`, port };
    const pending = startRegistryProcess(placeholder, late.path, MQTT_311);
    const started = pending.then((process) => {
      registry = process;
      return process;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lateBroker = await startMosquitto('', { port });
    try {
      const process = await started;
      const plugin = await connectPlugin(lateBroker, 'late', 4);
      expect(
        await plugin.client.request('hardware/announce', {
          plugin: 'l',
          name: 'Late',
          layout: 'extended',
          settings: {},
        }),
      ).toEqual({
        hardwareId: 1,
      });
      await plugin.bus.close();
      await process.process.stop();
      registry = undefined;
    } finally {
      await lateBroker.stop();
      late.remove();
    }
  });
});

describe('on Mosquitto with MQTT 3.1.1', () => {
  it('runs the command round trip with Mosquitto’s own clients', async () => {
    registry = await startRegistryProcess(broker, dir.path, MQTT_311);
    const plugin = await connectPlugin(broker, 'mosq', 4);
    await plugin.client.request('hardware/announce', {
      plugin: 'm',
      name: 'Mosq',
      layout: 'legacy',
      settings: {},
    });
    const { unit } = await plugin.client.request('unit/create', {
      unit: 1,
      name: 'Relay',
      typeName: 'Switch',
    });
    expect(unit.deviceId).toBe('00010001');

    const state = JSON.parse(await mosquittoSubOne('wattbus/devices/mosq/00010001/1'));
    expect(state).toMatchObject({ name: 'Mosq - Relay', state: 'OFF' });
    const config = JSON.parse(await mosquittoSubOne('homeassistant/switch/wattbus_mosq/00010001_1/config'));
    expect(config).toMatchObject({ command_topic: 'wattbus/devices/mosq/00010001/1/set', payload_on: 'On' });

    // The plugin answers each command with an Update, as a Domoticz plugin's onCommand does.
    await plugin.bus.client.subscribeAsync('wattbus/plugins/mosq/command', { qos: 1 });
    plugin.bus.client.on('message', (topic, payload) => {
      if (topic !== 'wattbus/plugins/mosq/command') return;
      const command = PluginCommand.parse(JSON.parse(payload.toString()));
      void plugin.client.request('unit/update', {
        deviceId: command.deviceId,
        unit: command.unit,
        changes: { nValue: command.command === 'On' ? 1 : 0, sValue: command.command },
      });
    });
    const watcher = await TestClient.connect(broker.url, { protocolVersion: 4 });
    await watcher.subscribe('wattbus/devices/mosq/00010001/1');
    await mosquittoPub('wattbus/devices/mosq/00010001/1/set', 'On');
    await watcher.waitForJson(
      'wattbus/devices/mosq/00010001/1',
      (body: { state?: string }) => body.state === 'ON',
    );
    await watcher.close();
    await plugin.bus.close();
  });

  it('ignores a retained command the broker replays at subscription', async () => {
    await mosquittoPub('wattbus/devices/mosq/00010001/1/set', 'Off', true);
    const plugin = await connectPlugin(broker, 'mosq', 4);
    const commands: string[] = [];
    await plugin.bus.client.subscribeAsync('wattbus/plugins/mosq/command', { qos: 1 });
    plugin.bus.client.on('message', (topic, payload) => {
      if (topic === 'wattbus/plugins/mosq/command') commands.push(payload.toString());
    });
    const watcher = await TestClient.connect(broker.url, { protocolVersion: 4 });
    await watcher.subscribe('wattbus/bridge/event');
    registry = await startRegistryProcess(broker, dir.path, MQTT_311);
    const event = await watcher.waitForJson<{ type: string; data: { reason: string } }>(
      'wattbus/bridge/event',
      (body) => body.type === 'command_failed',
    );
    expect(event.data.reason).toMatch(/retain flag/);
    // A command sent now still works, and is the only one the plugin ever sees.
    await mosquittoPub('wattbus/devices/mosq/00010001/1/set', 'On');
    await expect.poll(() => commands.length).toBe(1);
    expect(JSON.parse(commands[0]!)).toMatchObject({ command: 'On', source: 'mqtt' });
    await mosquittoPub('wattbus/devices/mosq/00010001/1/set', '', true);
    await watcher.close();
    await plugin.bus.close();
  });
});
