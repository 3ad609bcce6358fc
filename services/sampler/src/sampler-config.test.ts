import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, WattbusConfig } from '@wattbus/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp.js';
import { DEMO_CHANNELS, samplerSettings } from './sampler-config.js';

const dir = tempDir('wattbus-sampler-config-');
afterAll(() => dir.remove());
let files = 0;

/** Loads a config.toml with this text (no environment overrides) and applies the sampler's rules. */
function load(text: string) {
  const path = join(dir.path, `config-${++files}.toml`);
  writeFileSync(path, text);
  const loaded = loadConfig({ path, env: {} });
  return samplerSettings(loaded.config, loaded);
}

function problems(text: string): string {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

const CHANNEL = '[current_transformers.channel_1]\nrating = 100\nenabled = true\ntype = "mains"\n';

describe('sampler configuration rules', () => {
  it('rejects a rating such as "100A", naming the key, the value and the rule', () => {
    const message = problems('[current_transformers.channel_1]\nrating = "100A"\nenabled = true\n');
    expect(message).toMatch(
      /current_transformers\.channel_1\.rating = "100A" \(from .*\): must be a whole number of amps/,
    );
  });

  it('rejects a transformer voltage of 0', () => {
    expect(problems(`[grid_voltage]\nac_transformer_output_voltage = 0\n${CHANNEL}`)).toMatch(
      /grid_voltage\.ac_transformer_output_voltage = 0 .*must be greater than 0/,
    );
  });

  it.each([
    [
      'rating = 100\ntype = "solar"',
      /channel_1\.type = "solar" .*must be "mains", "production" or "consumption"/,
    ],
    ['rating = 99.5', /channel_1\.rating = 99.5 .*whole number of amps/],
    ['rating = 100\namps_cutoff_threshold = -1', /amps_cutoff_threshold = -1 .*must be 0 or more amps/],
    ['rating = 100\nwatts_cutoff_threshold = "low"', /watts_cutoff_threshold = "low"/],
    ['rating = 100\ncalibration = 0', /channel_1\.calibration = 0 .*must be greater than 0/],
    ['rating = 100\ntwo_pole = "yes"', /channel_1\.two_pole = "yes"/],
    ['rating = 100\ncolour = "red"', /channel_1\.colour .*is not a known setting/],
  ])('rejects %j', (lines, message) => {
    expect(problems(`[current_transformers.channel_1]\nenabled = true\n${lines}\n`)).toMatch(message);
  });

  it('requires a rating for an enabled channel only', () => {
    expect(problems('[current_transformers.channel_2]\nenabled = true\n')).toMatch(
      /channel_2\.rating = \(missing\) .*is required for an enabled channel/,
    );
    expect(
      load(`${CHANNEL}[current_transformers.channel_2]\nenabled = false\n`).channels.map((c) => c.number),
    ).toEqual([1]);
  });

  it('requires at least one enabled channel when a config file exists', () => {
    expect(problems('[current_transformers.channel_1]\nrating = 100\nenabled = false\n')).toMatch(
      /current_transformers \(from .*config-\d+\.toml\): at least one channel must be enabled/,
    );
    expect(problems('[general]\nname = "x"\n')).toMatch(/at least one channel must be enabled/);
  });

  it('needs no block for disabled channels and keeps channels in ascending order', () => {
    const settings = load(
      '[current_transformers.channel_6]\nrating = 30\nenabled = true\n[current_transformers.channel_3]\nrating = 50\nenabled = true\ntype = "production"\ntwo_pole = true\n',
    );
    expect(settings.channels.map((c) => c.number)).toEqual([3, 6]);
    expect(settings.calculation.channels[0]).toMatchObject({
      number: 3,
      type: 'production',
      two_pole: true,
      rating: 50,
    });
    expect(settings.demo).toBe(false);
  });

  it('uses the demo channels only when there is no config file at all', () => {
    const defaults = WattbusConfig.parse({});
    const settings = samplerSettings(defaults, { path: undefined });
    expect(settings.demo).toBe(true);
    expect(settings.channels).toBe(DEMO_CHANNELS);
    expect(settings.calculation.channels.map((c) => c.type)).toEqual([
      'mains',
      'production',
      'consumption',
      'consumption',
    ]);
    // A channel set from the environment alone is a configuration, not a demo.
    const fromEnvironment = WattbusConfig.parse({ current_transformers: { channel_2: { rating: 30 } } });
    expect(() => samplerSettings(fromEnvironment, { path: undefined })).toThrow(
      /at least one channel must be enabled/,
    );
  });

  it.each([
    ['[sampler]\nsource = "replay"\n', /sampler\.replay_file .*is required when source = "replay"/],
    ['[sampler]\nsimulation_start = "25:00"\n', /sampler\.simulation_start = "25:00" .*HH:MM/],
    ['[sampler]\nspi_transfers_per_call = 600\n', /at most 511/],
    ['[sampler]\nmode = "fast"\n', /sampler\.mode = "fast" .*"aligned" or "compat"/],
    ['[sampler]\nsamples_per_batch = 10\n', /samples_per_batch = 10 .*at least 50/],
    [
      '[sampler]\nretry_initial_delay = 10\nretry_max_delay = 5\n',
      /retry_max_delay .*not be less than retry_initial_delay/,
    ],
    ['[sampler]\npower_deadband = -1\n', /power_deadband = -1 .*0 \(off\) or more/],
    ['[grid_voltage]\nfrequency = 55\n', /grid_voltage\.frequency = 55 .*must be 50 or 60/],
  ])('rejects a bad [sampler] or [grid_voltage] setting: %j', (text, message) => {
    expect(problems(`${CHANNEL}${text}`)).toMatch(message);
  });
});
