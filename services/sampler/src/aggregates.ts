import type { ChannelFigures, ChannelSettings } from './calculate/types.js';

export interface PowerCurrent {
  power: number;
  current: number;
}

/** The figures subscribers receive for one batch (power-calculation.md section 4), before the timestamp. */
export interface Figures {
  /** Per enabled channel, keyed by channel number. */
  cts: Map<number, ChannelFigures>;
  production: PowerCurrent & { pf: number };
  home: PowerCurrent;
  net: PowerCurrent;
  voltage: number;
  frequency: number | undefined;
}

/**
 * Production, home consumption and net from the channels (power-calculation.md section 3). Sums run in ascending
 * channel order from 0, as the reference's do, so compat results stay bit-identical.
 */
export function aggregate(
  cts: Map<number, ChannelFigures>,
  channels: readonly ChannelSettings[],
  frequency: number | undefined,
): Figures {
  let mainsPower = 0;
  let mainsCurrent = 0;
  let productionPower = 0;
  let productionCurrent = 0;
  let productionHomeCurrent = 0;
  let productionPf = 0;
  let productionCount = 0;
  let consumptionPower = 0;
  let consumptionCurrent = 0;
  let hasMains = false;
  let voltage = 0;
  let first = true;
  for (const channel of channels) {
    const figures = cts.get(channel.number);
    if (!figures) continue;
    if (first) {
      voltage = figures.voltage;
      first = false;
    }
    if (channel.type === 'mains') {
      hasMains = true;
      mainsPower += figures.power;
      mainsCurrent += figures.current;
    } else if (channel.type === 'production') {
      productionPower += figures.power;
      productionCurrent += figures.current;
      productionHomeCurrent += channel.two_pole ? 2 * figures.current : figures.current;
      productionPf += figures.pf;
      productionCount++;
    } else {
      consumptionPower += figures.power;
      consumptionCurrent += figures.current;
    }
  }
  const home = hasMains
    ? { power: mainsPower + productionPower, current: mainsCurrent + productionHomeCurrent }
    : { power: consumptionPower, current: consumptionCurrent };
  const net = hasMains ? { power: mainsPower, current: mainsCurrent } : { ...home };
  return {
    cts,
    production: {
      power: productionPower,
      current: productionCurrent,
      pf: productionCount > 0 ? productionPf / productionCount : 0,
    },
    home,
    net,
    voltage,
    frequency,
  };
}
