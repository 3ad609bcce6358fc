import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../test/helpers/brokers.js';
import { TestClient } from '../../test/helpers/mqtt.js';
import { spawnNode, stopAllProcesses } from '../../test/helpers/processes.js';
import { type Stack, startStack } from '../../test/helpers/stack.js';
import { definition } from './power_devices.js';

/**
 * power_devices through real processes: the embedded broker, the simulated sampler, the registry and the plugin
 * runner, with Home Assistant discovery read back from the broker as Home Assistant would read it.
 */

interface DiscoveryConfig {
  unique_id: string;
  state_topic: string;
  value_template: string;
  device_class?: string;
  unit_of_measurement?: string;
  state_class?: string;
  device: { name: string };
}

interface UnitState {
  name: string;
  sValue: string;
  timedOut: boolean;
  energy?: number;
  power?: number;
  value?: number;
}

const PLUGIN_BLOCK = `
[plugins.power_devices]
enabled = true
name = "Power monitor"
mode1 = "2"
`;

/** The channels of the test stack's config (test/helpers/stack.ts) and what power_devices makes of them. */
const ENERGY_UNITS = {
  'ct1/1': 'Power monitor - Mains',
  'ct2/1': 'Power monitor - Solar',
  'ct3/1': 'Power monitor - Kitchen',
  'home/1': 'Power monitor - Home consumption',
  'production/1': 'Power monitor - Production',
  'net/1': 'Power monitor - Net grid import',
  'net/5': 'Power monitor - Net grid export',
};

const discoveryTopic = (key: string, entity?: string) =>
  `homeassistant/sensor/wattbus_power_devices/${key.replace('/', '_')}${entity ? `_${entity}` : ''}/config`;

describe('power_devices', () => {
  it('defaults to a 10 s update interval, so the registry is not flooded', () => {
    const interval = definition.params.find((param) => param.field === 'mode1')!;
    expect(interval.options?.find((option) => option.default)?.value).toBe('10');
  });

  describe('with the whole bus running', () => {
    let broker: TestBroker;
    let stack: Stack;
    let client: TestClient;

    beforeAll(async () => {
      broker = await startWattbusBroker();
      client = await TestClient.connect(broker.url);
      await client.subscribe([
        'homeassistant/#',
        'wattbus/devices/power_devices/#',
        'wattbus/bridge/devices',
      ]);
      stack = await startStack(broker, { plugins: ['power_devices'], extraConfig: PLUGIN_BLOCK });
    });

    afterAll(async () => {
      await client?.close();
      await stack?.stop();
      await broker?.stop();
      await stopAllProcesses();
    });

    it('shows Energy-dashboard-ready sensors in Home Assistant discovery for every channel', async () => {
      for (const [key, name] of Object.entries(ENERGY_UNITS)) {
        const energy = await client.waitForJson<DiscoveryConfig>(
          discoveryTopic(key, 'energy'),
          undefined,
          30_000,
        );
        expect(energy).toMatchObject({
          device_class: 'energy',
          unit_of_measurement: 'kWh',
          state_class: 'total_increasing',
          state_topic: `wattbus/devices/power_devices/${key}`,
          value_template: '{{ value_json.energy | default(None) }}',
          device: { name },
        });
        const power = await client.waitForJson<DiscoveryConfig>(discoveryTopic(key, 'power'));
        expect(power).toMatchObject({
          device_class: 'power',
          unit_of_measurement: 'W',
          state_class: 'measurement',
        });
        // The state the sensors read carries a real energy figure once the sampler's counters arrive.
        const state = await client.waitForJson<UnitState>(
          `wattbus/devices/power_devices/${key}`,
          (unit) => typeof unit.energy === 'number' && typeof unit.power === 'number',
          20_000,
        );
        expect(state.name).toBe(name);
        expect(state.energy).toBeGreaterThanOrEqual(0);
      }
    });

    it('adds voltage, current and power factor sensors, and the grid voltage', async () => {
      const expectations: [string, Partial<DiscoveryConfig>][] = [
        ['ct1/2', { device_class: 'voltage', unit_of_measurement: 'V' }],
        ['ct1/3', { device_class: 'current', unit_of_measurement: 'A' }],
        ['ct1/4', { unit_of_measurement: '%' }],
        ['ct3/4', { unit_of_measurement: '%' }],
        ['home/3', { device_class: 'current' }],
        ['production/4', { unit_of_measurement: '%' }],
        ['net/3', { device_class: 'current' }],
        ['grid/2', { device_class: 'voltage', unit_of_measurement: 'V' }],
      ];
      for (const [key, expected] of expectations) {
        const config = await client.waitForJson<DiscoveryConfig>(discoveryTopic(key), undefined, 30_000);
        expect(config).toMatchObject({ ...expected, state_class: 'measurement' });
      }
      const voltage = await client.waitForJson<UnitState>(
        'wattbus/devices/power_devices/grid/2',
        (unit) => (unit.value ?? 0) > 100,
        30_000,
      );
      expect(voltage.name).toBe('Power monitor - Grid voltage');
    });

    it('lists every unit in bridge/devices', async () => {
      type BridgeDevices = {
        hardware: { id: string; devices: { deviceId: string; units: { unit: number }[] }[] }[];
      };
      const ours = (bridge: BridgeDevices) =>
        bridge.hardware?.find((hardware) => hardware.id === 'power_devices');
      const bridge = await client.waitForJson<BridgeDevices>(
        'wattbus/bridge/devices',
        (list) => (ours(list)?.devices.flatMap((device) => device.units).length ?? 0) >= 21,
        20_000,
      );
      expect(
        ours(bridge)!
          .devices.map((device) => device.deviceId)
          .sort(),
      ).toEqual(['ct1', 'ct2', 'ct3', 'grid', 'home', 'net', 'production']);
    });

    it('updates at the configured interval, not at the reading rate', async () => {
      const topic = 'wattbus/devices/power_devices/ct1/3';
      await client.waitFor(topic);
      // Arrival times of the next three updates; waiting for them (rather than counting over a fixed window) keeps
      // the test meaningful on a machine so busy that a window may see none.
      const arrivals: number[] = [];
      for (let i = 0; i < 3; i++) {
        const seen = client.messages.length;
        await client.waitFor(topic, (m) => client.messages.indexOf(m) >= seen, 30_000);
        arrivals.push(Date.now());
      }
      // Readings arrive 2-3 times a second; at a 2 s interval two gaps take about 4 s (3 s allows for jitter).
      expect(arrivals[2]! - arrivals[0]!).toBeGreaterThanOrEqual(3000);
    });

    it('follows a channel renamed in config.toml, and marks its devices TimedOut when readings stop', async () => {
      const plugin = stack.processes.get('plugin-power_devices')!;
      await plugin.stop();
      stack.processes.get('sampler')!.kill9();
      const config = readFileSync(stack.configPath, 'utf8').replace(
        'name = "Kitchen"',
        'name = "Kitchen sockets"',
      );
      writeFileSync(stack.configPath, config.replace('mode1 = "2"', 'mode1 = "2"\nmode6 = "30"'));
      // The sampler's last reading stays retained; one 40 s old, as a dead sampler leaves behind, replaces it.
      const old = new Date(Date.now() - 40_000).toISOString();
      await client.publish(
        'wattbus/readings',
        JSON.stringify({
          cts: { '1': { power: 100, pf: 0.9, current: 0.5, voltage: 240 } },
          production: { power: 0, pf: 0, current: 0 },
          'home-consumption': { power: 100, current: 0.5 },
          net: { power: 100, current: 0.5 },
          voltage: 240,
          timestamp: old,
        }),
        { retain: true },
      );
      client.clear();
      const restarted = spawnNode('plugin-power_devices', 'services/plugin-runner/dist/main.js', {
        WATTBUS_CONFIG: stack.configPath,
        WATTBUS_PLUGIN_ID: 'power_devices',
      });
      stack.processes.set('plugin-power_devices', restarted);
      const renamed = await client.waitForJson<UnitState>(
        'wattbus/devices/power_devices/ct3/1',
        (unit) => unit.name === 'Power monitor - Kitchen sockets',
        20_000,
      );
      expect(renamed.name).toBe('Power monitor - Kitchen sockets');
      const stale = await client.waitForJson<UnitState>(
        'wattbus/devices/power_devices/net/1',
        (unit) => unit.timedOut,
        20_000,
      );
      expect(stale.timedOut).toBe(true);
      await restarted.waitForLine(/devices marked TimedOut/);

      await client.publish(
        'wattbus/readings',
        JSON.stringify({
          cts: { '1': { power: 100, pf: 0.9, current: 0.5, voltage: 240 } },
          production: { power: 0, pf: 0, current: 0 },
          'home-consumption': { power: 100, current: 0.5 },
          net: { power: 100, current: 0.5 },
          voltage: 240,
          timestamp: new Date().toISOString(),
        }),
        { retain: true },
      );
      const fresh = await client.waitForJson<UnitState>(
        'wattbus/devices/power_devices/net/1',
        (unit) => !unit.timedOut,
        20_000,
      );
      expect(fresh.timedOut).toBe(false);
    });
  });
});
