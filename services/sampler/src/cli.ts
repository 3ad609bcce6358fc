import { readFileSync, writeFileSync } from 'node:fs';
import { exitOnConfigError, loadConfig, parseCommandLine, type WattbusConfig } from '@wattbus/shared';
import { z } from 'zod';
import { AdcFault } from './adc/adc-bus.js';
import { aggregate, type Figures } from './aggregates.js';
import { type CalculationMode, calculatePower } from './calculate/calculate-power.js';
import {
  type Capture,
  CaptureError,
  captureBatches,
  captureReadRate,
  formatCapture,
  parseCapture,
} from './capture/capture-csv.js';
import { readingPayload } from './publish/payloads.js';
import { type SamplerSettings, samplerSettings } from './sampler-config.js';
import { ASSUMED_READ_RATE } from './sources/replay-source.js';
import { createSource, resolveSourceKind } from './sources/select-source.js';

const USAGE = `Usage:
  wattbus-sampler --replay FILE [--mode aligned|compat] [--samples N] [--print] [--config FILE]
  wattbus-sampler --capture FILE [--samples N] [--source auto|simulated|mcp3008] [--config FILE]

Offline tools of the wattbus sampler (the service itself is services/sampler/dist/main.js).

  --replay FILE    compute every batch of a capture CSV (power-calculation.md section 7) with the
                   calibration of config.toml, then exit
  --print          with --replay: one JSON line per batch, the unsmoothed per-channel results
                   (keys "1".."6") and the aggregates; without it, a summary table
  --mode MODE      aligned or compat (default: [sampler] mode); compat is bit-identical to the reference
  --capture FILE   read N samples per enabled channel from the live source and write them as a capture CSV
  --samples N      samples per channel: per batch for --replay, in total for --capture
                   (default: [sampler] samples_per_batch)
  --source SOURCE  for --capture: auto (default: [sampler] source), simulated or mcp3008
  --config FILE    config.toml (default: WATTBUS_CONFIG, else ./config.toml)
  --help           show this text

Exit codes: 0 done, 64 bad arguments, 65 a capture that cannot be read, 66 a missing file,
69 the ADC cannot be read, 73 the capture cannot be written, 78 a bad setting.`;

const Arguments = z
  .object({
    config: z.string().min(1).optional(),
    replay: z.string().min(1, 'must name a file').optional(),
    capture: z.string().min(1, 'must name a file').optional(),
    mode: z.enum(['aligned', 'compat'], { message: '--mode must be aligned or compat' }).optional(),
    samples: z
      .string()
      .regex(/^\d+$/, '--samples must be a whole number')
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1, '--samples must be at least 1')
          .max(200_000, '--samples must be at most 200000'),
      )
      .optional(),
    source: z
      .enum(['auto', 'simulated', 'mcp3008'], { message: '--source must be auto, simulated or mcp3008' })
      .optional(),
    print: z.boolean().default(false),
    positionals: z.array(z.string()).max(0, 'takes no positional arguments'),
  })
  .refine((args) => (args.replay === undefined) !== (args.capture === undefined), {
    message: 'give exactly one of --replay FILE or --capture FILE',
  });
type Arguments = z.infer<typeof Arguments>;

const args = parseCommandLine(
  process.argv.slice(2),
  {
    config: { type: 'string' },
    replay: { type: 'string' },
    capture: { type: 'string' },
    mode: { type: 'string' },
    samples: { type: 'string' },
    source: { type: 'string' },
    print: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  Arguments,
  USAGE,
);

// `wattbus-sampler --replay f --print | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

function fail(code: number, message: string): never {
  process.stderr.write(`wattbus-sampler: ${message}\n`);
  process.exit(code);
}

let config: WattbusConfig;
let settings: SamplerSettings;
try {
  const loaded = loadConfig({ path: args.config });
  config = loaded.config;
  for (const warning of loaded.warnings) process.stderr.write(`wattbus-sampler: ${warning}\n`);
  settings = samplerSettings(config, loaded);
} catch (error) {
  exitOnConfigError(error, 'wattbus-sampler');
}

if (args.replay !== undefined) replay(args.replay, args);
else await capture(args.capture!, args);

function readCapture(file: string): Capture {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(66, `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseCapture(text, file);
  } catch (error) {
    if (error instanceof CaptureError) return fail(65, error.message);
    throw error;
  }
}

function replay(file: string, options: Arguments): void {
  const mode: CalculationMode = options.mode ?? config.sampler.mode;
  const samples = options.samples ?? config.sampler.samples_per_batch;
  const recording = readCapture(file);
  const enabled = settings.channels.map((channel) => channel.number);
  if (recording.channels.join(',') !== enabled.join(',')) {
    fail(
      65,
      `${file} holds channels [${recording.channels.join(', ')}] but the configuration enables [${enabled.join(', ')}]; enable exactly the captured channels`,
    );
  }
  let rate = captureReadRate(recording);
  if (rate === undefined) {
    process.stderr.write(
      `wattbus-sampler: ${file} records neither Sample Rate nor Sample Duration; read times assume ${ASSUMED_READ_RATE} reads/s\n`,
    );
    rate = ASSUMED_READ_RATE;
  }
  const results: Figures[] = [];
  let index = 0;
  for (const batch of captureBatches(recording, samples, rate)) {
    index++;
    const channelFigures = calculatePower(batch, settings.calculation, mode);
    const figures = aggregate(
      channelFigures.channels,
      settings.calculation.channels,
      channelFigures.frequency,
    );
    results.push(figures);
    if (options.print) {
      const { timestamp: _timestamp, ...reading } = readingPayload(figures, new Date(0).toISOString());
      const line = {
        batch: index,
        offset_seconds: batch.offset,
        duration_seconds: batch.duration,
        ...reading,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
  const rest = recording.samples - index * samples;
  if (index === 0)
    fail(65, `${file} has ${recording.samples} samples per channel, fewer than one batch of ${samples}`);
  if (rest > 0)
    process.stderr.write(`wattbus-sampler: the last ${rest} samples do not fill a batch and were left out\n`);
  if (!options.print) printSummary(file, mode, samples, rate, recording, results);
}

function printSummary(
  file: string,
  mode: CalculationMode,
  samples: number,
  rate: number,
  recording: Capture,
  results: Figures[],
): void {
  const mean = (values: number[]) =>
    values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const lines = [
    `${file}: ${results.length} batches of ${samples} samples, channels ${recording.channels.join(', ')}, ${mode} mode`,
    `${Math.round(rate)} reads/s, board ${recording.boardVoltage} V${recording.boardVoltageRecorded ? '' : ' (assumed)'}`,
    '',
    'channel  type         power W   current A   voltage V     pf',
  ];
  for (const channel of settings.channels) {
    const figures = results.map((result) => result.cts.get(channel.number)!);
    lines.push(
      [
        String(channel.number).padEnd(7),
        channel.type.padEnd(11),
        mean(figures.map((f) => f.power))
          .toFixed(1)
          .padStart(9),
        mean(figures.map((f) => f.current))
          .toFixed(2)
          .padStart(11),
        mean(figures.map((f) => f.voltage))
          .toFixed(1)
          .padStart(11),
        mean(figures.map((f) => f.pf))
          .toFixed(3)
          .padStart(6),
      ].join('  '),
    );
  }
  const frequencies = results.flatMap((result) => (result.frequency === undefined ? [] : [result.frequency]));
  lines.push(
    '',
    `production ${mean(results.map((r) => r.production.power)).toFixed(1)} W, home ${mean(results.map((r) => r.home.power)).toFixed(1)} W, net ${mean(results.map((r) => r.net.power)).toFixed(1)} W (means over all batches)`,
    frequencies.length > 0
      ? `frequency ${mean(frequencies).toFixed(3)} Hz`
      : 'frequency not measurable (flat voltage)',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function capture(file: string, options: Arguments): Promise<void> {
  const samples = options.samples ?? config.sampler.samples_per_batch;
  const sampler = { ...config.sampler, source: options.source ?? config.sampler.source };
  if (sampler.source === 'replay')
    fail(64, 'a capture needs a live source: pass --source simulated or --source mcp3008');
  const kind = resolveSourceKind(sampler);
  const source = createSource(kind, {
    config: { ...config, sampler },
    channels: settings.channels,
    pace: false,
  });
  const layout = { channels: settings.channels.map((channel) => channel.number), samples };
  try {
    await source.open();
    const batch = await source.read(layout);
    writeFileSync(file, formatCapture(batch));
    process.stderr.write(
      `wattbus-sampler: wrote ${samples} samples of channels ${layout.channels.join(', ')} from ${source.description} at ${Math.round(batch.reads.length / batch.duration)} reads/s to ${file}\n`,
    );
  } catch (error) {
    if (error instanceof AdcFault) fail(69, error.message);
    fail(73, `cannot write ${file}: ${(error as Error).message}`);
  } finally {
    await source.close();
  }
}
