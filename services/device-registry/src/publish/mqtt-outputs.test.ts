import type { Bus, Logger } from '@wattbus/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { openTestRegistry, type TestRegistry } from '../../test/support.js';
import type { DiscoveryPublisher } from '../homeassistant/discovery-publisher.js';
import { MqttOutputs } from './mqtt-outputs.js';

interface Sent {
  topic: string;
  sValue: string;
  acknowledge(): void;
  fail(): void;
}

let dir: { path: string; remove(): void };
let registry: TestRegistry;
let sent: Sent[];
let outputs: MqttOutputs;

/** A bus whose unit-state publishes stay in flight until the test acknowledges them, as a slow broker would. */
function slowBus(): Bus {
  return {
    roots: { base: 'wattbus', discovery: 'homeassistant' },
    publishRaw: (topic: string, payload: string) =>
      new Promise<void>((resolve, reject) => {
        const { sValue } = JSON.parse(payload) as { sValue: string };
        sent.push({ topic, sValue, acknowledge: resolve, fail: () => reject(new Error('connection lost')) });
      }),
    clearRetained: async () => {},
    publish: async () => {},
  } as unknown as Bus;
}

const quiet = { warn() {}, info() {} } as unknown as Logger;
const discovery = { unitChanged() {}, unitRemoved() {} } as unknown as DiscoveryPublisher;
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function meter(deviceId: string, sValue: string) {
  await registry.plugin('power', 'unit/update', { deviceId, unit: 1, changes: { sValue } });
  const unit = registry.store.findUnit('power', deviceId, 1);
  if (!unit) throw new Error(`no unit ${deviceId}`);
  outputs.unitChanged(unit, false);
}

beforeEach(async () => {
  dir = tempDir('wattbus-registry-outputs-');
  registry = openTestRegistry(dir.path);
  sent = [];
  outputs = new MqttOutputs(slowBus(), registry.store, discovery, () => ({}), quiet, 2);
  await registry.plugin('power', 'hardware/announce', { plugin: 'p', name: 'Power', layout: 'extended' });
  for (const deviceId of ['a', 'b', 'c'])
    await registry.plugin('power', 'unit/create', { deviceId, unit: 1, name: deviceId, typeName: 'kWh' });
});
afterEach(() => {
  registry.close();
  dir.remove();
});

describe('unit states in flight', () => {
  it('holds states beyond the limit, keeps only the latest per unit, and sends it when the broker catches up', async () => {
    await meter('a', '1;1');
    await meter('b', '1;1');
    await meter('c', '1;1');
    outputs.flush();
    expect(sent.map((message) => message.topic)).toEqual([
      'wattbus/devices/power/a/1',
      'wattbus/devices/power/b/1',
    ]);
    expect(outputs.pendingStates).toBe(1);

    // Two more commits change c while the broker is behind: one message will carry the last.
    await meter('c', '2;2');
    outputs.flush();
    await meter('c', '3;3');
    outputs.flush();
    expect(sent).toHaveLength(2);

    sent[0]?.acknowledge();
    await settle();
    await settle();
    expect(sent.map((message) => [message.topic, message.sValue])).toEqual([
      ['wattbus/devices/power/a/1', '1;1'],
      ['wattbus/devices/power/b/1', '1;1'],
      ['wattbus/devices/power/c/1', '3;3'],
    ]);
    expect(outputs.pendingStates).toBe(0);
  });

  it('frees the place of a state whose publish failed', async () => {
    await meter('a', '1;1');
    await meter('b', '1;1');
    await meter('c', '1;1');
    outputs.flush();
    sent[1]?.fail();
    await settle();
    await settle();
    expect(sent.map((message) => message.topic)).toContain('wattbus/devices/power/c/1');
  });

  it('sends every waiting state when it stops, so a clean stop leaves the broker up to date', async () => {
    await meter('a', '1;1');
    await meter('b', '1;1');
    await meter('c', '4;4');
    outputs.flush();
    outputs.stop();
    expect(sent.map((message) => [message.topic, message.sValue]).at(-1)).toEqual([
      'wattbus/devices/power/c/1',
      '4;4',
    ]);
    expect(outputs.pendingStates).toBe(0);
  });

  it('sends each commit at once while the broker keeps up', async () => {
    await meter('a', '1;1');
    outputs.flush();
    sent[0]?.acknowledge();
    await meter('a', '2;2');
    outputs.flush();
    await meter('b', '2;2');
    outputs.flush();
    expect(sent.map((message) => message.sValue)).toEqual(['1;1', '2;2', '2;2']);
  });
});
