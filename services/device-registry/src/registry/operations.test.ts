import { type PluginRequestOp, type PluginResponseData, pluginRequests } from '@wattbus/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers/temp.js';
import { openTestRegistry, type TestRegistry } from '../../test/support.js';

let dir: { path: string; remove(): void };
let registry: TestRegistry;

beforeEach(() => {
  dir = tempDir('wattbus-registry-ops-');
  registry = openTestRegistry(dir.path, { historyIntervalMs: 300_000 });
});
afterEach(() => {
  registry.close();
  dir.remove();
});

const announce = (hardware = 'power', layout: 'extended' | 'legacy' = 'extended') =>
  registry.plugin(hardware, 'hardware/announce', {
    plugin: 'power_devices',
    name: 'Power',
    layout,
    settings: { Mode1: 'x' },
  });

/** The response data, validated against the operation's response schema as a plugin runner would. */
async function call<Op extends PluginRequestOp>(
  hardware: string,
  op: Op,
  body: Record<string, unknown> = {},
): Promise<PluginResponseData<Op>> {
  const data = await registry.plugin(hardware, op, body);
  return pluginRequests[op].response.parse(data) as PluginResponseData<Op>;
}

describe('hardware and units', () => {
  it('refuses requests before the plugin announced itself', async () => {
    await expect(registry.plugin('power', 'devices/list')).rejects.toThrow(/hardware\/announce/);
  });

  it('creates a unit from a TypeName, prefixes the hardware name and reports it', async () => {
    expect(
      await call('power', 'hardware/announce', { plugin: 'p', name: 'Power', layout: 'extended' }),
    ).toEqual({
      hardwareId: 1,
    });
    const { unit } = await call('power', 'unit/create', {
      deviceId: 'Mains',
      unit: 1,
      name: 'Total',
      typeName: 'kWh',
    });
    expect(unit).toMatchObject({
      hardware: 'power',
      deviceId: 'Mains',
      unit: 1,
      name: 'Power - Total',
      type: 243,
      subtype: 29,
      switchtype: 0,
      typeName: 'kWh',
      nValue: 0,
      sValue: '',
      batteryLevel: 255,
      signalLevel: 12,
      used: false,
      adjustment: 0,
      multiplier: 1,
    });
    expect(registry.outputs.bridgeEvents.map((event) => event.type)).toEqual(['device_added', 'unit_added']);
    // The plugin made this change itself: Domoticz does not call onDeviceAdded for it.
    expect(registry.outputs.pluginEvents).toEqual([]);
    expect(registry.outputs.changed).toEqual([expect.objectContaining({ definition: true })]);
  });

  it('updates values, reports whether nValue/sValue changed, and logs history on request', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'Mains', unit: 1, name: 'Total', typeName: 'kWh' });
    registry.clock.now += 10_000;
    const first = await call('power', 'unit/update', {
      deviceId: 'Mains',
      unit: 1,
      changes: { sValue: '100;5000' },
      log: true,
    });
    expect(first).toMatchObject({
      changed: true,
      unit: { sValue: '100;5000', lastUpdate: new Date(registry.clock.now).toISOString() },
    });
    registry.clock.now += 10_000;
    const same = await call('power', 'unit/update', {
      deviceId: 'Mains',
      unit: 1,
      changes: { sValue: '100;5000', batteryLevel: 80 },
    });
    expect(same).toMatchObject({ changed: false, unit: { batteryLevel: 80 } });
    const { rows } = await call('power', 'unit/history', { deviceId: 'Mains', unit: 1 });
    expect(rows).toEqual([{ timestamp: expect.any(String), nValue: 0, sValue: '100;5000' }]);
  });

  it('publishes the state (the event) only for real changes, never for Touch, heartbeats or SuppressTriggers', async () => {
    await announce();
    await call('power', 'unit/create', {
      deviceId: 'E',
      unit: 1,
      name: 'Temp',
      typeName: 'Temperature',
      sValue: '20',
    });
    registry.outputs.clear();
    const published = () => registry.outputs.changed.length;
    registry.clock.now += 1000;
    await call('power', 'unit/update', { deviceId: 'E', unit: 1, changes: { sValue: '20' } });
    await call('power', 'unit/touch', { deviceId: 'E', unit: 1 });
    await call('power', 'unit/update', {
      deviceId: 'E',
      unit: 1,
      changes: { sValue: '25' },
      suppressTriggers: true,
    });
    expect(published()).toBe(0);
    await call('power', 'unit/update', { deviceId: 'E', unit: 1, changes: { sValue: '21' } });
    expect(published()).toBe(1);
    await call('power', 'unit/update', { deviceId: 'E', unit: 1, changes: { batteryLevel: 40 } });
    expect(published()).toBe(2);
    // LastUpdate still moved in the store for every update and touch.
    const { unit } = await call('power', 'unit/refresh', { deviceId: 'E', unit: 1 });
    expect(unit?.lastUpdate).toBe(new Date(registry.clock.now).toISOString());
  });

  it('writes automatic meter history at most once per interval unless DisableLogAutoUpdate', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'M', unit: 1, name: 'a', typeName: 'kWh' });
    await call('power', 'unit/create', {
      deviceId: 'M',
      unit: 2,
      name: 'b',
      typeName: 'kWh',
      options: { DisableLogAutoUpdate: 'true' },
    });
    for (let i = 1; i <= 4; i++) {
      registry.clock.now += 120_000;
      await call('power', 'unit/update', { deviceId: 'M', unit: 1, changes: { sValue: `${i};${i}` } });
      await call('power', 'unit/update', { deviceId: 'M', unit: 2, changes: { sValue: `${i};${i}` } });
    }
    const auto = await call('power', 'unit/history', { deviceId: 'M', unit: 1 });
    expect(auto.rows.map((row: { sValue: string }) => row.sValue)).toEqual(['1;1', '4;4']);
    const disabled = await call('power', 'unit/history', { deviceId: 'M', unit: 2 });
    expect(disabled.rows).toEqual([]);
  });

  it('prunes history rows older than the retention', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'R', unit: 1, name: 'r', typeName: 'Voltage' });
    const start = registry.clock.now;
    for (const day of [0, 10, 20]) {
      registry.clock.now = start + day * 86_400_000;
      await call('power', 'unit/update', {
        deviceId: 'R',
        unit: 1,
        changes: { sValue: String(day) },
        log: true,
      });
    }
    const removed = await registry.core.run('bridge', true, ({ context }) =>
      context.store.pruneHistory(start + 15 * 86_400_000),
    );
    expect(removed).toBe(2);
    const { rows } = await call('power', 'unit/history', { deviceId: 'R', unit: 1 });
    expect(rows.map((row) => row.sValue)).toEqual(['20']);
  });

  it('adds counter increments and integrates Calculated energy over time', async () => {
    await announce();
    await call('power', 'unit/create', {
      deviceId: 'C',
      unit: 1,
      name: 'Gas',
      typeName: 'Counter Incremental',
      switchtype: 1,
    });
    await call('power', 'unit/update', { deviceId: 'C', unit: 1, changes: { sValue: '10' } });
    const counter = await call('power', 'unit/update', { deviceId: 'C', unit: 1, changes: { sValue: '5' } });
    expect(counter.unit).toMatchObject({ sValue: '15', switchtype: 1, typeName: 'Counter Incremental' });

    await call('power', 'unit/create', {
      deviceId: 'C',
      unit: 2,
      name: 'Calc',
      typeName: 'kWh',
      options: { EnergyMeterMode: '1' },
      sValue: '3600;0',
    });
    registry.clock.now += 60_000;
    const calculated = await call('power', 'unit/update', {
      deviceId: 'C',
      unit: 2,
      changes: { sValue: '3600;999' },
    });
    expect(calculated.unit.sValue).toBe('3600;60');
  });

  it('keeps the unit values when a dated value goes to history (AddDBLogEntry)', async () => {
    await announce();
    await call('power', 'unit/create', {
      deviceId: 'H',
      unit: 1,
      name: 'Meter',
      typeName: 'kWh',
      options: { AddDBLogEntry: 'true' },
      sValue: '10;20',
    });
    const result = await call('power', 'unit/update', {
      deviceId: 'H',
      unit: 1,
      changes: { sValue: '1000;250;2024-01-02' },
    });
    expect(result).toMatchObject({ changed: false, unit: { sValue: '10;20' } });
    const { rows } = await call('power', 'unit/history', {
      deviceId: 'H',
      unit: 1,
      from: '2024-01-01T00:00:00Z',
      to: '2024-01-03T00:00:00Z',
    });
    expect(rows).toEqual([{ timestamp: new Date(2024, 0, 2).toISOString(), nValue: 0, sValue: '1000;250' }]);
  });

  it('honours SuppressTriggers: nValue and sValue are not written', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'S', unit: 1, name: 'Switch', typeName: 'Switch' });
    const result = await call('power', 'unit/update', {
      deviceId: 'S',
      unit: 1,
      changes: { nValue: 1, sValue: 'On', name: 'Renamed' },
      suppressTriggers: true,
    });
    expect(result).toMatchObject({ changed: false, unit: { nValue: 0, sValue: '', name: 'Renamed' } });
  });

  it('changes the type with a TypeName and refuses values that do not fit the new type', async () => {
    await announce();
    await call('power', 'unit/create', {
      deviceId: 'T',
      unit: 1,
      name: 'x',
      typeName: 'Text',
      sValue: 'hello',
    });
    await expect(
      call('power', 'unit/update', { deviceId: 'T', unit: 1, changes: {}, typeName: 'kWh' }),
    ).rejects.toThrow(/power;energy.*new type/);
    const changed = await call('power', 'unit/update', {
      deviceId: 'T',
      unit: 1,
      changes: { sValue: '1;2' },
      typeName: 'kWh',
    });
    expect(changed.unit).toMatchObject({ type: 243, subtype: 29, typeName: 'kWh' });
  });

  it('sets TimedOut on the device, touches, refreshes and deletes units', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'D', unit: 1, name: 'a', typeName: 'Temperature' });
    await call('power', 'unit/create', { deviceId: 'D', unit: 2, name: 'b', typeName: 'Temperature' });
    const timedOut = await call('power', 'device/timedout', { deviceId: 'D', timedOut: true });
    expect(timedOut.device).toMatchObject({ timedOut: true, units: [{ unit: 1 }, { unit: 2 }] });
    registry.clock.now += 5000;
    const touched = await call('power', 'unit/touch', { deviceId: 'D', unit: 1 });
    expect(touched.unit.lastUpdate).toBe(new Date(registry.clock.now).toISOString());
    expect(await call('power', 'unit/delete', { deviceId: 'D', unit: 1 })).toEqual({ deleted: true });
    expect(await call('power', 'unit/refresh', { deviceId: 'D', unit: 1 })).toEqual({ unit: null });
    await call('power', 'unit/delete', { deviceId: 'D', unit: 2 });
    expect(await call('power', 'device/refresh', { deviceId: 'D' })).toEqual({ device: null });
    expect(registry.outputs.bridgeEvents.map((event) => event.type)).toContain('device_removed');
  });

  it('persists Configuration, notifiers and everything else across a reopen', async () => {
    await announce();
    await call('power', 'config/set', {
      configuration: { token: 'abc', count: 3, nested: { list: [1, 'two'] } },
    });
    await call('power', 'notifier/register', { name: 'Pushover' });
    await call('power', 'unit/create', {
      deviceId: 'P',
      unit: 7,
      name: 'Kept',
      typeName: 'Voltage',
      sValue: '231',
    });
    registry.close();
    registry = openTestRegistry(dir.path);
    expect(await call('power', 'config/get')).toEqual({
      configuration: { token: 'abc', count: 3, nested: { list: [1, 'two'] } },
    });
    expect([...registry.store.hardware.get('power')!.notifiers]).toEqual(['Pushover']);
    expect(await call('power', 'unit/refresh', { deviceId: 'P', unit: 7 })).toMatchObject({
      unit: { sValue: '231', name: 'Power - Kept' },
    });
  });
});

describe('legacy layout', () => {
  it('defaults DeviceID to 000H000U and keeps unit numbers unique per hardware', async () => {
    await announce('legacy1', 'legacy');
    const { unit } = await call('legacy1', 'unit/create', { unit: 1, name: 'Total', type: 113 });
    expect(unit.deviceId).toBe('00010001');
    expect(
      (await call('legacy1', 'unit/create', { unit: 26, name: 'x', typeName: 'Switch' })).unit.deviceId,
    ).toBe('0001001A');
    await expect(
      call('legacy1', 'unit/create', { deviceId: 'other', unit: 1, name: 'dup', typeName: 'Switch' }),
    ).rejects.toThrow(/unique per hardware/);
  });

  it('requires a DeviceID for extended plugins and refuses to switch a conflicting hardware to legacy', async () => {
    await announce('ext');
    await expect(call('ext', 'unit/create', { unit: 1, name: 'x', typeName: 'Switch' })).rejects.toThrow(
      /deviceId is required/,
    );
    await call('ext', 'unit/create', { deviceId: 'a', unit: 1, name: 'x', typeName: 'Switch' });
    await call('ext', 'unit/create', { deviceId: 'b', unit: 1, name: 'x', typeName: 'Switch' });
    await expect(announce('ext', 'legacy')).rejects.toThrow(/unit numbers 1 are used by several devices/);
  });
});

describe('bad requests change nothing', () => {
  it('refuses each with a reason naming the problem', async () => {
    await announce();
    await announce('other');
    await call('other', 'unit/create', { deviceId: 'theirs', unit: 1, name: 'Theirs', typeName: 'Switch' });
    await call('power', 'unit/create', {
      deviceId: 'mine',
      unit: 1,
      name: 'Mine',
      typeName: 'kWh',
      sValue: '1;1',
    });
    const before = registry.snapshot();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'unit/create',
        { deviceId: 'x', unit: 0, name: 'n', typeName: 'Switch' },
        /unit: must be between 1 and 255/,
      ],
      [
        'unit/create',
        { deviceId: 'x', unit: 256, name: 'n', typeName: 'Switch' },
        /unit: must be between 1 and 255/,
      ],
      [
        'unit/create',
        { deviceId: 'x'.repeat(26), unit: 1, name: 'n', typeName: 'Switch' },
        /deviceId: must be at most 25/,
      ],
      [
        'unit/create',
        { deviceId: 'x', unit: 1, name: 'n', typeName: 'Nope' },
        /not in the TypeName catalogue/,
      ],
      ['unit/create', { deviceId: 'x', unit: 1, name: 'n' }, /either typeName or type/],
      ['unit/create', { deviceId: 'x', unit: 1, name: 'n', typeName: 'kWh', sValue: 'lots' }, /sValue/],
      ['unit/create', { deviceId: 'mine', unit: 1, name: 'n', typeName: 'kWh' }, /already exists/],
      ['unit/create', { deviceId: 'x', unit: 1, name: 'n', typeName: 'Switch', surprise: 1 }, /surprise/],
      ['unit/update', { deviceId: 'mine', unit: 1, changes: { nValue: 'x' } }, /changes.nValue/],
      ['unit/update', { deviceId: 'mine', unit: 1, changes: { sValue: '1;lots' } }, /field 2 \(energy\)/],
      ['unit/update', { deviceId: 'mine', unit: 2, changes: { sValue: '1;1' } }, /does not exist/],
      ['unit/update', { deviceId: 'theirs', unit: 1, changes: { nValue: 1 } }, /does not exist/],
      ['unit/delete', { deviceId: 'theirs', unit: 1 }, /does not exist/],
      ['device/timedout', { deviceId: 'theirs', timedOut: true }, /does not exist/],
      ['unit/touch', { deviceId: 'mine', unit: -1 }, /unit/],
      ['config/set', { configuration: 'not a dict' }, /configuration/],
      ['no/such/op', {}, /unknown operation/],
    ];
    for (const [op, body, reason] of cases) {
      await expect(registry.plugin('power', op, body), `${op} ${JSON.stringify(body)}`).rejects.toThrow(
        reason,
      );
    }
    expect(registry.snapshot()).toEqual(before);
  });
});

describe('bridge changes', () => {
  it('tells the plugin about changes made from outside, as Domoticz does', async () => {
    await announce();
    await call('power', 'unit/create', { deviceId: 'B', unit: 1, name: 'Lamp', typeName: 'Switch' });
    registry.outputs.clear();
    await registry.bridge('unit/rename', { hardware: 'power', deviceId: 'B', unit: 1, name: 'Hall lamp' });
    await registry.bridge('unit/used', { hardware: 'power', deviceId: 'B', unit: 1, used: true });
    await registry.bridge('unit/options', {
      hardware: 'power',
      deviceId: 'B',
      unit: 1,
      options: { Icon: '5' },
    });
    await registry.bridge('unit/create', {
      hardware: 'power',
      deviceId: 'B',
      unit: 2,
      name: 'Added',
      typeName: 'Switch',
    });
    expect(await registry.bridge('unit/remove', { hardware: 'power', deviceId: 'B', unit: 1 })).toEqual({
      removed: true,
    });
    expect(await registry.bridge('unit/remove', { hardware: 'power', deviceId: 'B', unit: 1 })).toEqual({
      removed: false,
    });
    expect(
      registry.outputs.pluginEvents.map(({ hardware, event }) => [
        hardware,
        event.type,
        'record' in event && event.record.name,
      ]),
    ).toEqual([
      ['power', 'device_modified', 'Hall lamp'],
      ['power', 'device_modified', 'Hall lamp'],
      ['power', 'device_modified', 'Hall lamp'],
      ['power', 'device_added', 'Added'],
      ['power', 'device_removed', 'Hall lamp'],
    ]);
    expect(registry.outputs.bridgeEvents.map((event) => event.type)).toContain('unit_renamed');
    expect(await registry.bridge('device/remove', { hardware: 'power', deviceId: 'B' })).toEqual({
      removed: 1,
    });
  });

  it('stores live settings and validates bridge requests strictly', async () => {
    expect(await registry.bridge('settings/set', { settings: { Title: 'Home' } })).toEqual({
      settings: { Title: 'Home' },
    });
    expect(registry.outputs.settingsChanges).toBe(1);
    await expect(
      registry.bridge('unit/rename', { hardware: 'power', deviceId: 'B', unit: 1 }),
    ).rejects.toThrow(/name/);
    await expect(registry.bridge('nope')).rejects.toThrow(/unknown request/);
  });
});
