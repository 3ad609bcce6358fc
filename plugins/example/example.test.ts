import { join } from 'node:path';
import { topicFor, topics } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOTS,
  readingPayload,
  registrySeesStarted,
  type Stack,
  startStack,
  waitForMessage,
} from '../../services/plugin-runner/test/runner-harness.js';
import { REPO_ROOT } from '../../test/helpers/index.js';
import { DEVICE_ID, METER_UNIT, SWITCH_UNIT } from './example.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ registry: true });
});
afterAll(async () => {
  await stack?.stop();
});

function state(unit: number): string {
  return topicFor(topics.unitState, ROOTS, { hw: 'example', device: DEVICE_ID, unit });
}

describe('the example plugin', () => {
  it('creates its kWh meter (with Home Assistant discovery) and switch, meters the readings and follows commands', async () => {
    const { client } = stack;
    await client.publish(topicFor(topics.readings, ROOTS, {}), readingPayload(523.4), { retain: true });
    const energy = {
      cts: {},
      home: { import_wh: 4321, export_wh: 0 },
      production: { import_wh: 0, export_wh: 0 },
      net: { import_wh: 4321, export_wh: 0 },
      timestamp: new Date().toISOString(),
    };
    await client.publish(topicFor(topics.energy, ROOTS, {}), JSON.stringify(energy), { retain: true });
    stack.config('[plugins.example]\nenabled = true\nmode2 = "1"\n');
    const runner = stack.runner('example', { pluginsDir: join(REPO_ROOT, 'plugins') });
    await waitForMessage(runner, 'example: metering home-consumption; units ready');
    await registrySeesStarted(client, 'example');

    const meter = await client.waitForJson<Record<string, unknown>>(
      state(METER_UNIT),
      (value: { sValue?: string }) => /^523\.4;4321$/.test(value.sValue ?? ''),
    );
    expect(meter).toMatchObject({ typeName: 'kWh', power: 523.4, energy: 4.321 });
    const discovery = await client.waitForJson<Record<string, unknown>>(
      'homeassistant/sensor/+/+/config',
      (config: { device_class?: string; state_topic?: string }) =>
        config.device_class === 'energy' && config.state_topic === state(METER_UNIT),
    );
    expect(discovery).toMatchObject({ state_class: 'total_increasing', unit_of_measurement: 'kWh' });

    await client.waitForJson(
      state(SWITCH_UNIT),
      (value: { typeName?: string }) => value.typeName === 'Switch',
    );
    await client.publish(
      topicFor(topics.unitSet, ROOTS, { hw: 'example', device: DEVICE_ID, unit: SWITCH_UNIT }),
      'On',
    );
    const on = await client.waitForJson<Record<string, unknown>>(
      state(SWITCH_UNIT),
      (value: { nValue?: number }) => value.nValue === 1,
    );
    expect(on).toMatchObject({ sValue: 'On', state: 'ON' });
    await waitForMessage(runner, 'example: switch turned On');
    expect(await runner.stop()).toBe(0);
  });
});
