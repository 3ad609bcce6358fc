import {
  ConfigError,
  type EnabledChannel,
  enabledChannels,
  type LoadedConfig,
  type WattbusConfig,
} from '@wattbus/shared';
import type { CalculationSettings } from './calculate/types.js';

/**
 * The channel set used when there is no config.toml at all, so that a first `npm start` shows a house: mains,
 * solar and two circuits. A config file always decides for itself.
 */
export const DEMO_CHANNELS: readonly EnabledChannel[] = [
  demoChannel(1, 'Mains', 100, 'mains'),
  demoChannel(2, 'Solar', 30, 'production'),
  demoChannel(3, 'Kitchen', 30, 'consumption'),
  demoChannel(4, 'Living room', 30, 'consumption'),
];

/** An enabled channel with the config defaults (single pole, no calibration, not reversed). */
function demoChannel(
  number: EnabledChannel['number'],
  name: string,
  rating: number,
  type: EnabledChannel['type'],
): EnabledChannel {
  return { number, name, rating, type, two_pole: false, enabled: true, calibration: 1, reversed: false };
}

export interface SamplerSettings {
  channels: readonly EnabledChannel[];
  calculation: CalculationSettings;
  /** True when the demo channels stand in for a missing config.toml. */
  demo: boolean;
}

/**
 * The sampler's own rules on top of the shared config schema (which already rejects a rating such as "100A" or a
 * transformer voltage of 0, naming the key): at least one channel must be enabled. Throws ConfigError, so the
 * service exits with code 78 and the reason.
 */
export function samplerSettings(config: WattbusConfig, loaded?: Pick<LoadedConfig, 'path'>): SamplerSettings {
  let channels: readonly EnabledChannel[] = enabledChannels(config.current_transformers);
  let demo = false;
  if (channels.length === 0) {
    const anyBlock = Object.values(config.current_transformers).some((block) => block !== undefined);
    if (loaded && loaded.path === undefined && !anyBlock) {
      channels = DEMO_CHANNELS;
      demo = true;
    } else {
      throw new ConfigError([
        `current_transformers (from ${loaded?.path ?? 'the configuration'}): at least one channel must be enabled, e.g. [current_transformers.channel_1] with enabled = true and a rating`,
      ]);
    }
  }
  return {
    channels,
    demo,
    calculation: {
      grid: config.grid_voltage,
      channels: channels.map((channel) => ({
        number: channel.number,
        type: channel.type,
        rating: channel.rating,
        calibration: channel.calibration,
        two_pole: channel.two_pole,
        reversed: channel.reversed,
        amps_cutoff_threshold: channel.amps_cutoff_threshold,
        watts_cutoff_threshold: channel.watts_cutoff_threshold,
      })),
    },
  };
}
