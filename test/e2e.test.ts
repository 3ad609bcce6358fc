import { Reading, UnitState } from '@wattbus/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto, startWattbusBroker, type TestBroker } from './helpers/brokers.js';
import { TestClient } from './helpers/mqtt.js';
import { stopAllProcesses } from './helpers/processes.js';
import { startStack } from './helpers/stack.js';

/**
 * Issue 2's end-to-end scenario over real processes and real TCP: the simulated sampler publishes retained
 * readings, the example plugin receives them and creates units through the registry, their retained state
 * appears, a `set` command from an outside MQTT client reaches the plugin, and the plugin's update is published.
 */
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await stopAllProcesses();
});

const EXAMPLE_PLUGIN = '[plugins.example]\nenabled = true\n';

describe.each([
  ['the embedded broker', () => startWattbusBroker()],
  ["Debian's Mosquitto", () => startMosquitto()],
])('the whole bus with %s', (_name, startBroker: () => Promise<TestBroker>) => {
  it('carries readings to a plugin and a command back to it', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.stop());
    const watcher = await TestClient.connect(broker.url);
    cleanup.push(() => watcher.close());
    await watcher.subscribe(['wattbus/#']);

    const stack = await startStack(broker, { plugins: ['example'], extraConfig: EXAMPLE_PLUGIN });
    cleanup.push(() => stack.stop());

    // 1. Retained readings from the simulated sampler, valid against the contract.
    const reading = await watcher.waitFor('wattbus/readings', (m) => m.retain || m.text.length > 0, 30_000);
    expect(Reading.safeParse(JSON.parse(reading.text)).success).toBe(true);
    const late = await TestClient.connect(broker.url, { protocolVersion: 4 });
    cleanup.push(() => late.close());
    await late.subscribe('wattbus/readings');
    expect((await late.waitFor('wattbus/readings')).retain).toBe(true);

    // 2 and 3. The plugin creates its units through the registry; their retained state appears.
    const switchState = await watcher.waitFor(
      'wattbus/devices/example/+/+',
      (m) => {
        const state = UnitState.safeParse(JSON.parse(m.text));
        return state.success && state.data.type === 244;
      },
      30_000,
    );
    const state = UnitState.parse(JSON.parse(switchState.text));
    expect(state.state).toBe('OFF');
    await watcher.waitForJson(
      'wattbus/devices/example/+/+',
      (unit: { power?: number }) => typeof unit.power === 'number',
    );

    // The registry refuses commands for a plugin that is not running (never queued), so wait until it has relayed
    // the plugin's start: it has then seen the plugin's state go online.
    await watcher.waitForJson(
      'wattbus/bridge/event',
      (event: { type?: string; data?: { plugin?: string } }) =>
        event.type === 'plugin_started' && event.data?.plugin === 'example',
      30_000,
    );

    // 4 and 5. A command from an outside client reaches the plugin, which updates the unit.
    const commander = await TestClient.connect(broker.url);
    cleanup.push(() => commander.close());
    await commander.publish(`${switchState.topic}/set`, 'On');
    const switched = await watcher.waitForJson(
      switchState.topic,
      (unit: { state?: string }) => unit.state === 'ON',
      15_000,
    );
    expect(switched).toMatchObject({ nValue: 1, state: 'ON' });
    await commander.publish(`${switchState.topic}/set`, JSON.stringify({ command: 'Off' }));
    await watcher.waitForJson(switchState.topic, (unit: { state?: string }) => unit.state === 'OFF', 15_000);
  });
});
