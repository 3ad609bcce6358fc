import { describe, expect, it } from 'vitest';
import { emulatedBoard } from '../adc/emulated-board.js';
import { aggregate } from '../aggregates.js';
import { calculatePower } from '../calculate/calculate-power.js';
import { DEMO_CHANNELS } from '../sampler-config.js';
import { Household, type SimulatedChannel, sceneFor, timeOfDaySeconds } from './household.js';
import { SimulatedSource } from './simulated-source.js';

const HOUR = 3600;
const channels: SimulatedChannel[] = [
  { number: 1, type: 'mains', two_pole: false, reversed: false },
  { number: 2, type: 'production', two_pole: false, reversed: false },
  { number: 3, type: 'consumption', two_pole: false, reversed: false },
  { number: 4, type: 'consumption', two_pole: false, reversed: false },
];

function netWatts(household: Household, seconds: number): number {
  const moment = household.at(seconds);
  return moment.loads.reduce((sum, load) => sum + load.watts, 0) - moment.solarWatts;
}

describe('simulated household day', () => {
  it('exports at midday and imports at night, for any seed and day', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const household = new Household(seed, 240, 50);
      for (const day of [0, 1, 7]) {
        for (let minutes = 11.5 * 60; minutes <= 12.5 * 60; minutes += 5) {
          expect(netWatts(household, day * 24 * HOUR + minutes * 60)).toBeLessThan(-500);
        }
        expect(netWatts(household, day * 24 * HOUR + 2 * HOUR)).toBeGreaterThan(0);
        expect(household.at(day * 24 * HOUR + 23 * HOUR).solarWatts).toBe(0);
      }
    }
  });

  it('has a cycling fridge, kettle boils and an oven at dinner time', () => {
    const household = new Household(3, 240, 50);
    const watts = (name: string, t: number) =>
      household.at(t).loads.find((load) => load.name === name)!.watts;
    const day = Array.from({ length: 24 * 60 }, (_, minute) => minute * 60);
    const fridgeOn = day.filter((t) => watts('fridge', t) > 0).length / day.length;
    expect(fridgeOn).toBeGreaterThan(0.3);
    expect(fridgeOn).toBeLessThan(0.5);
    const kettleMinutes = day.filter((t) => watts('kettle', t) > 0).length;
    expect(kettleMinutes).toBeGreaterThanOrEqual(10);
    expect(kettleMinutes).toBeLessThan(25);
    expect(day.filter((t) => t > 17 * HOUR && t < 20 * HOUR && watts('oven', t) > 0).length).toBeGreaterThan(
      30,
    );
    expect(day.filter((t) => (t < 17 * HOUR || t > 20 * HOUR) && watts('oven', t) > 0)).toHaveLength(0);
  });

  it('is a pure function of time and seed', () => {
    expect(new Household(5, 230, 50).at(40_000)).toEqual(new Household(5, 230, 50).at(40_000));
    expect(new Household(5, 230, 50).at(40_000)).not.toEqual(new Household(6, 230, 50).at(40_000));
  });

  it('parses HH:MM', () => {
    expect(timeOfDaySeconds('11:30')).toBe(11.5 * HOUR);
    expect(() => timeOfDaySeconds('noon')).toThrow(RangeError);
  });
});

describe('household on the emulated board', () => {
  it('reads back as negative net power at midday through the whole SPI path', async () => {
    const moment = new Household(1, 240, 50).at(12 * HOUR);
    const scene = sceneFor(moment, channels);
    const board = emulatedBoard({
      channels: channels.map((channel) => ({ ...channel, rating: channel.type === 'mains' ? 100 : 30 })),
      readRate: 20000,
      noise: 0.5,
    });
    board.emulator.setScene(scene);
    const batch = await board.adc.readBatch(board.layout);
    const result = calculatePower(batch, board.settings, 'aligned');
    const figures = aggregate(result.channels, board.settings.channels, result.frequency);
    const loads = moment.loads.reduce((sum, load) => sum + load.watts, 0);
    expect(figures.net.power).toBeLessThan(0);
    expect(figures.net.power / (loads - moment.solarWatts) - 1).toBeCloseTo(0, 2);
    expect(figures.net.current).toBeLessThan(0);
    expect(figures.production.power / moment.solarWatts - 1).toBeCloseTo(0, 2);
    // Home consumption = mains + production = the loads.
    expect(figures.home.power / loads - 1).toBeCloseTo(0, 1);
  });

  it('honours reversed and two_pole channels so that the readings come out right', () => {
    const moment = new Household(1, 240, 50).at(12 * HOUR);
    const plain = sceneFor(moment, channels);
    const odd = sceneFor(moment, [
      { ...channels[0]!, reversed: true },
      { ...channels[1]!, two_pole: true },
      channels[2]!,
      channels[3]!,
    ]);
    expect(odd.currents[1]!.amps).toBeCloseTo(plain.currents[1]!.amps, 9);
    expect(odd.currents[1]!.phaseDeg - plain.currents[1]!.phaseDeg).toBeCloseTo(180, 9);
    expect(odd.currents[2]!.amps).toBeCloseTo(plain.currents[2]!.amps / 2, 9);
  });

  it('has no solar without a production channel', () => {
    const scene = sceneFor(new Household(1, 240, 50).at(12 * HOUR), [channels[0]!, channels[2]!]);
    expect(Math.cos((scene.currents[1]!.phaseDeg * Math.PI) / 180)).toBeGreaterThan(0);
  });
});

describe('simulated source', () => {
  it('runs the simulated clock from the start time at the configured speed', async () => {
    let now = 1_000_000;
    const source = new SimulatedSource({
      grid: { grid_voltage: 240, ac_transformer_output_voltage: 10.2, voltage_calibration: 1, frequency: 50 },
      channels: [DEMO_CHANNELS[0]!],
      speed: 600,
      start: '06:00',
      seed: 1,
      readRate: 20000,
      noise: 0.5,
      transfersPerCall: 255,
      faultFile: '',
      pace: false,
      clock: () => now,
    });
    expect(source.simulatedTime()).toBe(6 * HOUR);
    now += 60_000;
    expect(source.simulatedTime()).toBe(16 * HOUR);
    await source.open();
    const batch = await source.read({ channels: [1], samples: 100 });
    expect(batch.samples).toBe(100);
    expect(batch.boardVoltage).toBe(3.31);
    await source.close();
  });
});
