import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../test/helpers/brokers.js';
import { TestClient } from '../../test/helpers/mqtt.js';
import { stopAllProcesses } from '../../test/helpers/processes.js';
import { type Stack, startStack } from '../../test/helpers/stack.js';
import { tempDir } from '../../test/helpers/temp.js';
import type { SimulatedLineState } from './simulated-gpio.js';

/**
 * The GPIO example through the real plugin runner, device registry and broker, on the simulated backend: its state
 * file shows the pin as a relay board would see it, and its units let Home Assistant override the relay.
 */

describe('gpio_controller_example_plugin', () => {
  let broker: TestBroker;
  let stack: Stack;
  let source: TestClient;
  let dir: { path: string; remove(): void };
  let stateFile: string;

  const reading = (netPower: number) => ({
    cts: { '1': { power: netPower, pf: 0.9, current: netPower / 240, voltage: 240 } },
    production: { power: 0, pf: 0, current: 0 },
    'home-consumption': { power: 300, current: 1.25 },
    net: { power: netPower, current: netPower / 240 },
    voltage: 240,
    timestamp: new Date().toISOString(),
  });

  const pin = (line: number): SimulatedLineState | undefined =>
    existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, SimulatedLineState>)[line]
      : undefined;

  async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not happen within ${timeoutMs} ms; pin: ${JSON.stringify(pin(17))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    dir = tempDir('wattbus-gpio-');
    stateFile = join(dir.path, 'gpio.json');
    broker = await startWattbusBroker();
    source = await TestClient.connect(broker.url);
    await source.subscribe(['homeassistant/#', 'wattbus/devices/#', 'wattbus/bridge/event']);
    await source.publish('wattbus/readings', JSON.stringify(reading(500)), { retain: true });
    stack = await startStack(broker, {
      sampler: false,
      registry: true,
      plugins: ['gpio_controller_example_plugin'],
      extraConfig: `
[plugins.gpio_controller_example_plugin]
enabled = true
name = "Solar relay"
pin_numbering_scheme = "BOARD"
output_pin = 11
input_pin = 13
check_interval = 0.2
backend = "simulated"
simulation_file = "${stateFile}"
`,
    });
  });

  afterAll(async () => {
    await source?.close();
    await stack?.stop();
    await broker?.stop();
    await stopAllProcesses();
    dir?.remove();
  });

  it('drives BOARD pin 11 (GPIO17) high while exporting and low while importing', async () => {
    await until('the output is requested', () => pin(17)?.direction === 'output');
    expect(pin(17)).toMatchObject({ value: false, released: false, label: 'GPIO17 (board pin 11)' });
    expect(pin(27)).toMatchObject({ direction: 'input', label: 'GPIO27 (board pin 13)' });
    await source.publish('wattbus/readings', JSON.stringify(reading(-1200)), { retain: true });
    await until('the output goes high', () => pin(17)?.value === true);
    await source.publish('wattbus/readings', JSON.stringify(reading(800)), { retain: true });
    await until('the output goes low', () => pin(17)?.value === false);
    const plugin = stack.processes.get('plugin-gpio_controller_example_plugin')!;
    await plugin.waitForLine(/output high: exporting 1200 W/);
    await plugin.waitForLine(/output low: importing 800 W/);
  });

  it('shows the pin and a manual override as units in Home Assistant; a set command switches the relay', async () => {
    const units = 'wattbus/devices/gpio_controller_example_plugin/relay';
    const discovery = (component: string, unit: number) =>
      source.waitForJson<Record<string, unknown>>(
        `homeassistant/${component}/+/+/config`,
        (config) => config.command_topic === `${units}/${unit}/set`,
        30_000,
      );
    const state = await discovery('switch', 1);
    expect(state).toMatchObject({ name: null, state_topic: `${units}/1`, payload_on: 'On' });
    expect((state.device as { name: string }).name).toBe('Solar relay - Relay');
    const mode = await discovery('select', 2);
    expect(mode).toMatchObject({ options: ['Auto', 'On', 'Off'], state_topic: `${units}/2` });
    const shows = (unit: number, check: (value: Record<string, unknown>) => boolean) =>
      source.waitForJson<Record<string, unknown>>(`${units}/${unit}`, check, 15_000);

    // Importing: the relay is off. Home Assistant's select sends "Set Level 10" for On.
    await until('the output is low', () => pin(17)?.value === false);
    source.clear();
    await source.publish(`${units}/2/set`, 'Set Level 10');
    await until('the override drives the output high', () => pin(17)?.value === true);
    await shows(1, (value) => value.state === 'ON');
    await shows(2, (value) => value.level === 10);
    // The override holds against net power.
    await source.publish('wattbus/readings', JSON.stringify(reading(900)), { retain: true });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(pin(17)?.value).toBe(true);

    // The state switch's Off holds the relay off, even while exporting.
    source.clear();
    await source.publish('wattbus/readings', JSON.stringify(reading(-700)), { retain: true });
    await source.publish(`${units}/1/set`, 'Off');
    await until('the override drives the output low', () => pin(17)?.value === false);
    await shows(1, (value) => value.state === 'OFF');
    await shows(2, (value) => value.level === 20);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(pin(17)?.value).toBe(false);

    // Auto again: the output follows net power at once.
    await source.publish(`${units}/2/set`, JSON.stringify({ command: 'Set Level', level: 0 }));
    await until('the output follows net power again', () => pin(17)?.value === true);
    await shows(1, (value) => value.state === 'ON');
    await shows(2, (value) => value.level === 0);
  });

  it('gives the pin back, low and as an input, when it stops', async () => {
    await source.publish('wattbus/readings', JSON.stringify(reading(-300)), { retain: true });
    await until('the output goes high', () => pin(17)?.value === true);
    await stack.processes.get('plugin-gpio_controller_example_plugin')!.stop();
    expect(pin(17)).toMatchObject({ direction: 'input', value: false, released: true });
  });
});
