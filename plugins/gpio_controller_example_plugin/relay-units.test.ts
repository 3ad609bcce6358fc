import type { PowerUnits, Unit, UnitCommand } from '@wattbus/plugin-runner';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MODE_UNIT, modeForCommand, RELAY_DEVICE, RelayUnits, STATE_UNIT } from './relay-units.js';

const command = (unit: number, name: string, level = 0): UnitCommand => ({
  deviceId: RELAY_DEVICE,
  unit,
  command: name,
  level,
  color: null,
});

/**
 * The registry side is a stand-in here (the plugin's test runs the real one): units that record what they were
 * asked to show, and answer each update only when the test lets them.
 */
function fakeUnits(stored?: { nValue: number; sValue: string }) {
  const updates: string[] = [];
  const waiting: (() => void)[] = [];
  let refusals = 0;
  const make = (unit: number, values = { nValue: 0, sValue: '' }) => {
    const fake = {
      ...values,
      update() {
        updates.push(`${unit}:${fake.nValue}/${fake.sValue}`);
        if (refusals > 0) {
          refusals -= 1;
          return Promise.reject(new Error('request timed out'));
        }
        return new Promise<boolean>((resolve) => waiting.push(() => resolve(true)));
      },
    };
    return fake as unknown as Unit;
  };
  const existing = stored ? { [RELAY_DEVICE]: { units: { [MODE_UNIT]: make(MODE_UNIT, stored) } } } : {};
  const units: PowerUnits = {
    load: async () => existing as never,
    ensure: async (init) =>
      (existing as Record<string, { units: Record<number, Unit> }>)[init.deviceId]?.units[init.unit] ??
      make(init.unit),
  };
  const answerAll = async () => {
    while (waiting.length > 0) {
      waiting.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** The next `count` updates fail, as when the registry is too busy to answer in time. */
  const refuse = (count: number) => {
    refusals = count;
  };
  return { units, updates, answerAll, refuse };
}

describe('relay units', () => {
  it('turn commands into relay modes, and explain the ones that mean nothing', () => {
    expect(modeForCommand(command(STATE_UNIT, 'On'))).toEqual({ mode: 'on' });
    expect(modeForCommand(command(STATE_UNIT, 'Off'))).toEqual({ mode: 'off' });
    expect(modeForCommand(command(MODE_UNIT, 'Set Level', 0))).toEqual({ mode: 'auto' });
    expect(modeForCommand(command(MODE_UNIT, 'Set Level', 10))).toEqual({ mode: 'on' });
    expect(modeForCommand(command(MODE_UNIT, 'Set Level', 20))).toEqual({ mode: 'off' });
    expect(modeForCommand(command(MODE_UNIT, 'Off'))).toEqual({ mode: 'auto' });
    expect(modeForCommand(command(MODE_UNIT, 'Set Level', 30))).toEqual({
      ignored: 'the mode selector has levels 0 (Auto), 10 (On) and 20 (Off), not 30',
    });
    expect(modeForCommand(command(MODE_UNIT, 'On'))).toMatchObject({
      ignored: expect.stringMatching(/Set Level/),
    });
    expect(modeForCommand({ ...command(3, 'On') })).toEqual({ ignored: 'this plugin has no unit relay/3' });
  });

  it('restore the override a person chose before a restart', async () => {
    const logger = pino({ level: 'silent' });
    expect(await new RelayUnits(fakeUnits().units, logger, 'GPIO17').attach()).toBeUndefined();
    const held = fakeUnits({ nValue: 2, sValue: '20' });
    expect(await new RelayUnits(held.units, logger, 'GPIO17').attach()).toBe('off');
    const auto = fakeUnits({ nValue: 0, sValue: '10' });
    expect(await new RelayUnits(auto.units, logger, 'GPIO17').attach()).toBe('auto');
  });

  it('show nothing before the units exist, then only the newest state', async () => {
    const fake = fakeUnits();
    const relay = new RelayUnits(fake.units, pino({ level: 'silent' }), 'GPIO17');
    relay.show({ mode: 'auto', on: true });
    expect(fake.updates).toEqual([]);
    await relay.attach();
    relay.show({ mode: 'on', on: true });
    // While the first update waits for the registry, two more states arrive: only the last is sent next.
    relay.show({ mode: 'off', on: false });
    relay.show({ mode: 'auto', on: false });
    await fake.answerAll();
    expect(fake.updates).toEqual(['1:1/On', '2:2/10', '1:0/Off', '2:0/0']);
  });

  it('offer a state again when the registry fails to take it, so Home Assistant does not show a stale relay', async () => {
    const fake = fakeUnits();
    const relay = new RelayUnits(fake.units, pino({ level: 'silent' }), 'GPIO17');
    await relay.attach();
    fake.refuse(1);
    relay.show({ mode: 'on', on: true });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await fake.answerAll();
    expect(fake.updates).toEqual(['1:1/On', '1:1/On', '2:2/10']);
  });
});
