import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RelayController, type RelayState } from './relay-controller.js';
import { SimulatedGpio } from './simulated-gpio.js';

async function setup() {
  const output = await new SimulatedGpio().request({
    line: 17,
    label: 'GPIO17',
    direction: 'output',
    initial: false,
  });
  const changes: RelayState[] = [];
  const relay = new RelayController(output, pino({ level: 'silent' }), (state) => {
    changes.push(state);
  });
  return { output, relay, changes };
}

describe('RelayController', () => {
  it('drives the output high while exporting and low while importing', async () => {
    const { output, relay, changes } = await setup();
    await relay.check(-250);
    expect(output.value).toBe(true);
    await relay.check(-10);
    await relay.check(400);
    expect(output.value).toBe(false);
    await relay.check(0);
    expect(output.value).toBe(false);
    expect(changes).toEqual([
      { mode: 'auto', on: true },
      { mode: 'auto', on: false },
    ]);
  });

  it('changes nothing before the first reading', async () => {
    const { output, relay, changes } = await setup();
    await relay.check(undefined);
    expect(output.value).toBe(false);
    expect(changes).toEqual([]);
  });

  it('holds a manual override against net power until it is set back to auto', async () => {
    const { output, relay, changes } = await setup();
    await relay.setMode('on', 500, 'test');
    expect(output.value).toBe(true);
    await relay.check(500);
    expect(output.value).toBe(true);
    await relay.setMode('off', -500, 'test');
    await relay.check(-500);
    expect(output.value).toBe(false);
    await relay.setMode('auto', -500, 'test');
    expect(output.value).toBe(true);
    expect(changes.map((state) => `${state.mode}:${state.on}`)).toEqual([
      'on:true',
      'off:false',
      'auto:true',
    ]);
  });
});
