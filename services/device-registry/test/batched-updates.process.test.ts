import { MAX_BATCHED_UPDATES, topicFor, topics, type UnitState } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWattbusBroker, type TestBroker } from '../../../test/helpers/brokers.js';
import { TestClient } from '../../../test/helpers/mqtt.js';
import { tempDir } from '../../../test/helpers/temp.js';
import {
  connectPlugin,
  type RegistryProcess,
  ROOTS,
  readRetainedJson,
  startRegistryProcess,
} from './processes.js';

/** `units/update`, several unit updates in one request, against the registry as a real process. */
let broker: TestBroker;
let registry: RegistryProcess;
let watcher: TestClient;
let plugin: Awaited<ReturnType<typeof connectPlugin>>;
const dir = tempDir('wattbus-registry-batched-');

beforeAll(async () => {
  broker = await startWattbusBroker();
  watcher = await TestClient.connect(broker.url);
  await watcher.subscribe('wattbus/plugins/meters/response/#');
  registry = await startRegistryProcess(broker, dir.path);
  plugin = await connectPlugin(broker, 'meters');
  await plugin.client.request('hardware/announce', {
    plugin: 'm',
    name: 'Meters',
    layout: 'extended',
    settings: {},
  });
  await createMeters('board', 5);
});

afterAll(async () => {
  await plugin?.bus.close();
  await watcher?.close();
  await registry?.process.stop();
  await broker?.stop();
  dir.remove();
});

/** kWh units 1..count of one device. */
async function createMeters(deviceId: string, count: number, fields: { description?: string } = {}) {
  for (let unit = 1; unit <= count; unit++) {
    await plugin.client.request('unit/create', {
      deviceId,
      unit,
      name: `${deviceId} ${unit}`,
      typeName: 'kWh',
      ...fields,
    });
  }
}

const stateOf = (device: string, unit: number, predicate: (state: UnitState) => boolean) =>
  readRetainedJson<UnitState>(
    broker.url,
    topicFor(topics.unitState, ROOTS, { hw: 'meters', device, unit }),
    predicate,
  );

async function sValues(): Promise<string[]> {
  const { devices } = await plugin.client.request('devices/list', {});
  return devices.flatMap((device) =>
    device.units.map((unit) => `${device.deviceId}/${unit.unit}=${unit.sValue}`),
  );
}

/** Publishes a raw request and returns its answer. */
async function rawRequest(op: string, body: Record<string, unknown>, transaction: string) {
  const answer = watcher.waitForJson<{ status: string; error?: string; transaction: string }>(
    `wattbus/plugins/meters/response/${op}`,
    (response) => response.transaction === transaction,
  );
  await watcher.publish(`wattbus/plugins/meters/request/${op}`, JSON.stringify({ ...body, transaction }));
  return answer;
}

describe('units/update', () => {
  it('applies or refuses each update on its own, answers in order and publishes each new state', async () => {
    const { results } = await plugin.client.request('units/update', {
      updates: [
        { deviceId: 'board', unit: 1, changes: { sValue: '100;1000' } },
        { deviceId: 'board', unit: 2, changes: { sValue: '200;2000' } },
        { deviceId: 'board', unit: 9, changes: { sValue: '1;1' } },
        { deviceId: 'board', unit: 3, changes: { sValue: 'lots;of' } },
        { deviceId: 'board', unit: 4, changes: { sValue: '400;4000' } },
      ],
    });
    expect(results).toEqual([
      { unit: expect.objectContaining({ unit: 1, sValue: '100;1000' }), changed: true },
      { unit: expect.objectContaining({ unit: 2, sValue: '200;2000' }), changed: true },
      { error: expect.stringMatching(/does not exist/) },
      { error: expect.stringMatching(/field 1 \(power\)/) },
      { unit: expect.objectContaining({ unit: 4, sValue: '400;4000' }), changed: true },
    ]);
    expect(await sValues()).toEqual([
      'board/1=100;1000',
      'board/2=200;2000',
      'board/3=',
      'board/4=400;4000',
      'board/5=',
    ]);
    expect(await stateOf('board', 4, (state) => state.sValue === '400;4000')).toMatchObject({
      power: 400,
      energy: 4,
    });
    // Unchanged values are answered as such, like unit/update.
    const again = await plugin.client.request('units/update', {
      updates: [
        { deviceId: 'board', unit: 1, changes: { sValue: '100;1000' } },
        { deviceId: 'board', unit: 5, changes: { sValue: '500;5000' } },
      ],
    });
    expect(again.results.map((result) => 'changed' in result && result.changed)).toEqual([false, true]);
  });

  it('refuses a malformed request whole, naming the update that is wrong, and changes nothing', async () => {
    const before = await sValues();
    const badUnit = await rawRequest(
      'units/update',
      {
        updates: [
          { deviceId: 'board', unit: 1, changes: { sValue: '7;7' } },
          { deviceId: 'board', unit: 0, changes: { sValue: '7;7' } },
        ],
      },
      'bad-unit',
    );
    expect(badUnit).toMatchObject({ status: 'error', error: expect.stringMatching(/updates\.1\.unit/) });
    const tooMany = await rawRequest(
      'units/update',
      {
        updates: Array.from({ length: MAX_BATCHED_UPDATES + 1 }, () => ({
          deviceId: 'board',
          unit: 1,
          changes: { sValue: '8;8' },
        })),
      },
      'too-many',
    );
    expect(tooMany).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/^invalid request: updates: /),
    });
    const empty = await rawRequest('units/update', { updates: [] }, 'empty');
    expect(empty).toMatchObject({ status: 'error', error: expect.stringMatching(/updates/) });
    expect(await sValues()).toEqual(before);
  });

  it("ends a burst to more units than may be in flight with every retained state at its unit's last update", async () => {
    // 250 units changed three times over, faster than the broker acknowledges: more than STATES_IN_FLIGHT wait,
    // and each must still end up published with its last value.
    await createMeters('many', 250);
    const requests: Promise<unknown>[] = [];
    for (let round = 1; round <= 3; round++) {
      const updates = Array.from({ length: 250 }, (_, index) => ({
        deviceId: 'many',
        unit: index + 1,
        changes: { sValue: `${round};${index}` },
      }));
      for (let first = 0; first < updates.length; first += MAX_BATCHED_UPDATES) {
        requests.push(
          plugin.client.request('units/update', {
            updates: updates.slice(first, first + MAX_BATCHED_UPDATES),
          }),
        );
      }
    }
    await Promise.all(requests);
    const behind = async () => {
      // A new subscriber reads the broker's retained store, as Home Assistant does when it starts.
      const reader = await TestClient.connect(broker.url);
      await reader.subscribe('wattbus/devices/meters/many/+');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const latest = new Map(reader.messages.map((message) => [message.topic, message.text]));
      await reader.close();
      return Array.from({ length: 250 }, (_, index) => index).filter((index) => {
        const text = latest.get(`wattbus/devices/meters/many/${index + 1}`);
        return !text || (JSON.parse(text) as UnitState).sValue !== `3;${index}`;
      }).length;
    };
    await expect.poll(behind, { timeout: 15_000, interval: 200 }).toBe(0);
  });

  it('leaves the unit records out of an answer too large for one message, but never a result', async () => {
    // 80 units whose records carry 4 000 characters each: their answer would be over 256 KiB.
    await createMeters('wide', 80, { description: 'd'.repeat(4000) });
    const updates = Array.from({ length: 80 }, (_, index) => ({
      deviceId: 'wide',
      unit: index + 1,
      changes: { sValue: `${index};${index * 10}` },
    }));
    updates[10] = { deviceId: 'wide', unit: 11, changes: { sValue: 'bad' } };
    const { results } = await plugin.client.request('units/update', { updates });
    expect(results).toHaveLength(80);
    expect(results[10]).toEqual({ error: expect.stringMatching(/sValue/) });
    expect(results.filter((result) => 'changed' in result)).toEqual(
      Array.from({ length: 79 }, () => ({ changed: true })),
    );
    expect(await stateOf('wide', 80, (state) => state.sValue === '79;790')).toMatchObject({ power: 79 });
    // The device is too large for one answer too: read its units one by one.
    const stored: string[] = [];
    for (let unit = 1; unit <= 80; unit++) {
      stored.push((await plugin.client.request('unit/refresh', { deviceId: 'wide', unit })).unit!.sValue);
    }
    expect(stored).toEqual(updates.map((update, index) => (index === 10 ? '' : update.changes.sValue)));
  });
});
