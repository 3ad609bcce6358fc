import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, Reading } from '@wattbus/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode, tempDir } from '../../../test/helpers/index.js';
import { aggregate } from '../src/aggregates.js';
import { calculatePower } from '../src/calculate/calculate-power.js';
import { captureBatches, captureReadRate, parseCapture } from '../src/capture/capture-csv.js';
import { readingPayload } from '../src/publish/payloads.js';
import { samplerSettings } from '../src/sampler-config.js';

const BIN = 'services/sampler/bin/wattbus-sampler.js';

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const run = spawnNode('wattbus-sampler', BIN, { WATTBUS_CONFIG: undefined, ...env }, args);
  const code = await run.exited;
  return { code, lines: run.lines, text: run.lines.join('\n') };
}

describe('wattbus-sampler command', () => {
  const dir = tempDir('wattbus-sampler-cli-');
  const config = join(dir.path, 'config.toml');
  const capture = join(dir.path, 'capture.csv');

  beforeAll(() => {
    writeFileSync(
      config,
      `[current_transformers.channel_1]
rating = 100
type = "mains"
enabled = true
[current_transformers.channel_3]
rating = 30
type = "production"
two_pole = true
enabled = true
[sampler]
source = "simulated"
simulation_start = "12:30"
`,
    );
  });
  afterAll(() => dir.remove());

  it('prints its usage with --help and refuses bad arguments with exit 64', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.text).toMatch(/--replay FILE \[--mode aligned\|compat\]/);
    const neither = await cli(['--config', config]);
    expect(neither.code).toBe(64);
    expect(neither.text).toMatch(/exactly one of --replay FILE or --capture FILE/);
    expect((await cli(['--replay', 'x.csv', '--mode', 'fast'])).text).toMatch(
      /--mode must be aligned or compat/,
    );
    expect((await cli(['--capture', 'x.csv', '--samples', 'many'])).code).toBe(64);
    expect((await cli(['--replay', 'x.csv', '--bogus'])).code).toBe(64);
  });

  it('captures from the live (simulated) source in the section 7 format', async () => {
    const run = await cli(['--config', config, '--capture', capture, '--samples', '1100']);
    expect(run.code).toBe(0);
    expect(run.text).toMatch(/wrote 1100 samples of channels 1, 3 from simulated household/);
    const text = readFileSync(capture, 'utf8');
    expect(text.split('\n')[0]).toBe('Sample#,ct1,v1,ct3,v3');
    expect(text).toMatch(/\nSample Rate,[\d.]+\nSample Duration,[\d.]+\nBoard Voltage,3.31\n$/);
    expect(parseCapture(text).samples).toBe(1100);
  });

  it('replays a capture with --print: one JSON line per batch, bit-identical to the calculation', async () => {
    const run = await cli([
      '--config',
      config,
      '--replay',
      capture,
      '--mode',
      'compat',
      '--print',
      '--samples',
      '500',
    ]);
    expect(run.code).toBe(0);
    const lines = run.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    expect(run.text).toMatch(/the last 100 samples do not fill a batch/);

    const loaded = loadConfig({ path: config, env: {} });
    const settings = samplerSettings(loaded.config, loaded);
    const recording = parseCapture(readFileSync(capture, 'utf8'));
    const batches = [...captureBatches(recording, 500, captureReadRate(recording)!)];
    lines.forEach((line, index) => {
      expect(line.batch).toBe(index + 1);
      expect(Object.keys(line.cts)).toEqual(['1', '3']);
      const result = calculatePower(batches[index]!, settings.calculation, 'compat');
      const figures = aggregate(result.channels, settings.calculation.channels, result.frequency);
      const { timestamp: _t, ...expected } = readingPayload(figures, new Date(0).toISOString());
      const { batch: _b, offset_seconds: _o, duration_seconds: _d, ...printed } = line;
      expect(printed).toEqual(expected);
      expect(Reading.parse({ ...printed, timestamp: '2024-01-01T00:00:00Z' })).toBeTruthy();
    });
    // Midday: the house exports, and the two-pole solar channel's power is doubled.
    expect(lines[0].net.power).toBeLessThan(0);
    expect(lines[0].production.power).toBeGreaterThan(2000);
  });

  it('defaults to aligned mode from the config and prints a summary without --print', async () => {
    const aligned = await cli(['--config', config, '--replay', capture, '--print']);
    const first = JSON.parse(aligned.lines.find((line) => line.startsWith('{'))!);
    expect(first.frequency).toBeGreaterThan(49.9);
    const summary = await cli(['--config', config, '--replay', capture]);
    expect(summary.code).toBe(0);
    expect(summary.text).toMatch(/2 batches of 500 samples, channels 1, 3, aligned mode/);
    expect(summary.text).toMatch(/\n1 +mains +-\d+\.\d/);
    expect(summary.text).toMatch(/frequency 50\.\d{3} Hz/);
  });

  it('explains a capture that does not fit, cannot be read, or is missing', async () => {
    const other = join(dir.path, 'other.csv');
    writeFileSync(other, 'Sample#,ct2,v2\n1,512,512\n');
    const mismatch = await cli(['--config', config, '--replay', other]);
    expect(mismatch.code).toBe(65);
    expect(mismatch.text).toMatch(/holds channels \[2\] but the configuration enables \[1, 3\]/);
    writeFileSync(other, 'Sample#,ct1,v1,ct3,v3\n1,512,512,512\n');
    const broken = await cli(['--config', config, '--replay', other]);
    expect(broken.code).toBe(65);
    expect(broken.text).toMatch(/other\.csv:2: expected 5 values/);
    const missing = await cli(['--config', config, '--replay', join(dir.path, 'nope.csv')]);
    expect(missing.code).toBe(66);
    expect(missing.text).toMatch(/cannot read .*nope\.csv/);
  });

  it('exits 78 on a bad config and 69 when the ADC cannot be opened', async () => {
    const bad = join(dir.path, 'bad.toml');
    writeFileSync(bad, '[current_transformers.channel_1]\nrating = "100A"\nenabled = true\n');
    const run = await cli(['--config', bad, '--replay', capture]);
    expect(run.code).toBe(78);
    expect(run.text).toMatch(/current_transformers\.channel_1\.rating = "100A"/);
    const adc = await cli(['--config', config, '--capture', join(dir.path, 'x.csv'), '--source', 'mcp3008'], {
      WATTBUS__SAMPLER__SPI_BUS: '9',
    });
    expect(adc.code).toBe(69);
    expect(adc.text).toMatch(/cannot open \/dev\/spidev9\.0/);
  });
});
