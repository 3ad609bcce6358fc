import type { EmulatedCurrent, EmulatorScene } from '../adc/mcp3008-emulator.js';
import { Random } from '../adc/random.js';
import type { ChannelType } from '../calculate/types.js';

/** One appliance at one moment: real power and (lagging) power factor. */
export interface Load {
  name: string;
  watts: number;
  pf: number;
}

export interface HouseholdMoment {
  /** Seconds since midnight of the simulated day. */
  timeOfDay: number;
  loads: Load[];
  solarWatts: number;
  /** Grid voltage (RMS) and frequency at this moment. */
  volts: number;
  frequency: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const SUNRISE = 6.5 * HOUR;
const SUNSET = 19.5 * HOUR;
const SOLAR_PEAK_WATTS = 4200;
/** Kettle boils around these times (jittered by up to 15 minutes per day); none near midday. */
const KETTLE_TIMES = [7.1, 10.3, 13.2, 16, 19.75].map((hours) => hours * HOUR);
const KETTLE_SECONDS = 200;
const FRIDGE_PERIOD = 45 * 60;
const FRIDGE_ON = 18 * 60;

/** Parses "HH:MM" into seconds since midnight. */
export function timeOfDaySeconds(text: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`not a time of day: ${JSON.stringify(text)}`);
  return Number(match[1]) * HOUR + Number(match[2]) * 60;
}

/**
 * A household day, a pure function of the simulated time and a seed: a base load that is higher in the evening,
 * a fridge cycling about 18 minutes in 45, kettle boils through the day, an oven at dinner time with its
 * thermostat cycling, and a solar curve from 06:30 to 19:30 with passing clouds that peaks at about 4 kW, so that
 * the net power is negative (exporting) around midday.
 */
export class Household {
  constructor(
    private readonly seed: number,
    private readonly nominalVolts: number,
    private readonly nominalFrequency: number,
  ) {}

  at(simulatedSeconds: number): HouseholdMoment {
    const day = Math.floor(simulatedSeconds / DAY);
    const t = simulatedSeconds - day * DAY;
    const daily = new Random(this.seed * 7919 + day);
    const fridgeOffset = daily.next() * FRIDGE_PERIOD;
    const kettleJitter = KETTLE_TIMES.map(() => daily.next() * 15 * 60);
    const ovenStart = 17.75 * HOUR + daily.next() * 20 * 60;
    const cloudPhases = [daily.next(), daily.next(), daily.next()].map((phase) => phase * 2 * Math.PI);

    const loads: Load[] = [];
    const evening = t > 17.5 * HOUR && t < 23 * HOUR;
    const night = t < 6 * HOUR || t > 23.5 * HOUR;
    const base = (night ? 140 : evening ? 320 : 210) + 25 * Math.sin((2 * Math.PI * t) / (2.3 * HOUR));
    loads.push({ name: 'base', watts: base, pf: 0.92 });

    const fridgeOn = (t + fridgeOffset) % FRIDGE_PERIOD < FRIDGE_ON;
    loads.push({ name: 'fridge', watts: fridgeOn ? 115 : 0, pf: 0.78 });

    const kettleOn = KETTLE_TIMES.some((time, index) => {
      const start = time + kettleJitter[index]!;
      return t >= start && t < start + KETTLE_SECONDS;
    });
    loads.push({ name: 'kettle', watts: kettleOn ? 2200 : 0, pf: 1 });

    const ovenElapsed = t - ovenStart;
    // Full power while preheating, then the thermostat holds temperature at about two thirds duty.
    const ovenOn =
      ovenElapsed >= 0 && ovenElapsed < HOUR && (ovenElapsed < 15 * 60 || ovenElapsed % 240 < 160);
    loads.push({ name: 'oven', watts: ovenOn ? 2400 : 0, pf: 1 });

    let solarWatts = 0;
    if (t > SUNRISE && t < SUNSET) {
      const elevation = Math.sin((Math.PI * (t - SUNRISE)) / (SUNSET - SUNRISE));
      const hours = t / HOUR;
      // Passing clouds take at most a quarter of the output.
      const clouds =
        (Math.sin(hours * 1.7 + cloudPhases[0]!) +
          Math.sin(hours * 4.1 + cloudPhases[1]!) +
          Math.sin(hours * 9.3 + cloudPhases[2]!)) /
        3;
      solarWatts = SOLAR_PEAK_WATTS * elevation ** 1.5 * (0.875 + 0.125 * clouds);
    }

    const volts = this.nominalVolts * (1 + 0.012 * Math.sin((2 * Math.PI * t) / (3 * HOUR)));
    const frequency = this.nominalFrequency + 0.03 * Math.sin((2 * Math.PI * t) / (17 * 60));
    return { timeOfDay: t, loads, solarWatts, volts, frequency };
  }
}

export interface SimulatedChannel {
  number: number;
  type: ChannelType;
  two_pole: boolean;
  reversed: boolean;
}

interface Phasor {
  re: number;
  im: number;
}

function phasorOf(watts: number, pf: number, volts: number): Phasor {
  if (watts === 0) return { re: 0, im: 0 };
  const amps = watts / (volts * pf);
  const angle = -Math.acos(Math.min(1, Math.max(0, pf)));
  return { re: amps * Math.cos(angle), im: amps * Math.sin(angle) };
}

function current(phasor: Phasor, channel: SimulatedChannel): EmulatedCurrent {
  // A two-pole circuit's CT sees one leg: the reference doubles that channel's power back.
  const scale = channel.two_pole ? 0.5 : 1;
  const amps = Math.hypot(phasor.re, phasor.im) * scale;
  let phaseDeg = (Math.atan2(phasor.im, phasor.re) * 180) / Math.PI;
  // A CT clamped backwards sees the current inverted; `reversed = true` in the config undoes it.
  if (channel.reversed) phaseDeg += 180;
  return { amps, phaseDeg };
}

/**
 * What each CT of the board sees at this moment. Appliances are spread over the consumption channels in turn;
 * production channels share the solar output; mains channels share the net current (loads minus solar, as
 * phasors, so exporting shows as current in antiphase with the voltage). Without a production channel the
 * house has no solar panels.
 */
export function sceneFor(moment: HouseholdMoment, channels: readonly SimulatedChannel[]): EmulatorScene {
  const consumption = channels.filter((channel) => channel.type === 'consumption');
  const production = channels.filter((channel) => channel.type === 'production');
  const mains = channels.filter((channel) => channel.type === 'mains');
  const perChannel = new Map<number, Phasor>();
  const add = (channel: number, phasor: Phasor) => {
    const sum = perChannel.get(channel) ?? { re: 0, im: 0 };
    perChannel.set(channel, { re: sum.re + phasor.re, im: sum.im + phasor.im });
  };
  const total: Phasor = { re: 0, im: 0 };
  moment.loads.forEach((load, index) => {
    const phasor = phasorOf(load.watts, load.pf, moment.volts);
    total.re += phasor.re;
    total.im += phasor.im;
    const channel = consumption[index % Math.max(1, consumption.length)];
    if (channel) add(channel.number, phasor);
  });
  const solar = phasorOf(production.length > 0 ? moment.solarWatts : 0, 1, moment.volts);
  for (const channel of production) {
    add(channel.number, { re: solar.re / production.length, im: solar.im / production.length });
  }
  for (const channel of mains) {
    add(channel.number, {
      re: (total.re - solar.re) / mains.length,
      im: (total.im - solar.im) / mains.length,
    });
  }
  const currents: EmulatorScene['currents'] = {};
  for (const channel of channels)
    currents[channel.number] = current(perChannel.get(channel.number) ?? { re: 0, im: 0 }, channel);
  return { frequency: moment.frequency, volts: moment.volts, currents };
}
