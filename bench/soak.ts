import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadResults, loadTables } from './load/report-load.js';
import { runLoad, SOAK } from './load/run-load.js';
import { LOAD } from './load.bench.js';
import { type BenchSuite, formatSection, machineLines } from './report.js';

/**
 * `npm run soak`: the load test in full (issue 8): 60 s measured after 120 s of warm-up (see SOAK), printed as
 * the same report as `npm run bench` gives for its shorter form. Options: `--seconds N` (measured window),
 * `--warmup N`, `--runners N` and `--unit-rate N` (other loads than issue 8's), `--plugin-node-options "<flags>"`
 * (the plugin processes' node_options, to compare against the runner's default), `--runner-v8 default` (the runner
 * supervisors without the V8 flags of the runner's main.js, see bench/fixtures/runner-default-v8.mjs),
 * `--broker-node-options "<flags>"` (the broker's NODE_OPTIONS).
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const seconds = Number(option('seconds') ?? SOAK.measureSeconds);
const warmup = Number(option('warmup') ?? SOAK.warmupSeconds);
const runners = Number(option('runners') ?? LOAD.runners);
const unitRate = Number(option('unit-rate') ?? LOAD.unitRate);
const runnerV8 = option('runner-v8') ?? 'runner';
if (
  !(seconds > 0) ||
  !(warmup >= 0) ||
  !(runners >= 1) ||
  !Number.isInteger(runners) ||
  !(unitRate >= 0) ||
  (runnerV8 !== 'runner' && runnerV8 !== 'default')
) {
  process.stderr.write(
    'usage: npm run soak -- [--seconds N] [--warmup N] [--runners N] [--unit-rate N] [--plugin-node-options "<flags>"] [--runner-v8 runner|default] [--broker-node-options "<flags>"]\n',
  );
  process.exit(64);
}
const started = Date.now();
const began = performance.now();
const report = await runLoad({
  ...LOAD,
  runners,
  unitRate,
  warmupSeconds: warmup,
  measureSeconds: seconds,
  pluginNodeOptions: option('plugin-node-options'),
  runnerV8,
  brokerNodeOptions: option('broker-node-options'),
  progress: (text) =>
    process.stderr.write(`soak: ${((Date.now() - started) / 1000).toFixed(0)} s: ${text}\n`),
});
const suite: BenchSuite = {
  area: `soak (${seconds} s)`,
  command: `npm run soak${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
  run: async () => [],
  appendix: () => loadTables(report),
};
const lines = formatSection({
  suite,
  results: loadResults(report),
  seconds: (performance.now() - began) / 1000,
});
const text = [
  '# Soak: the load test in full',
  '',
  "Issue 8's load and soak test, measured by `npm run soak` (see bench/load/run-load.ts for what runs and how each",
  'figure is measured; `npm run bench` runs a shorter form into [benchmarks.md](benchmarks.md)). On this machine:',
  '',
  ...machineLines(),
  '',
  ...lines,
].join('\n');
process.stdout.write(`${text}\n`);
// Only the issue's own form is kept as the project's record; runs with other options are printed only.
if (args.length === 0) {
  const output = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'soak.md');
  writeFileSync(output, `${text}\n`);
  process.stdout.write(`written to ${output}\n`);
}
