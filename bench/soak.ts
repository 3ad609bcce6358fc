import { loadResults, loadTables } from './load/report-load.js';
import { runLoad } from './load/run-load.js';
import { LOAD } from './load.bench.js';
import { type BenchSuite, formatSection } from './report.js';

/**
 * `npm run soak`: the load test in full (issue 8): 60 s measured after 15 s of warm-up, printed as the same report
 * as `npm run bench` gives for its shorter form. Options: `--seconds N` (measured window), `--warmup N`,
 * `--runners N` and `--unit-rate N` (other loads than issue 8's), `--plugin-node-options "<flags>"` (the plugin
 * processes' node_options, to compare against the runner's default).
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const seconds = Number(option('seconds') ?? 60);
const warmup = Number(option('warmup') ?? 15);
const runners = Number(option('runners') ?? LOAD.runners);
const unitRate = Number(option('unit-rate') ?? LOAD.unitRate);
if (!(seconds > 0) || !(warmup >= 0) || !(runners >= 1) || !Number.isInteger(runners) || !(unitRate >= 0)) {
  process.stderr.write(
    'usage: npm run soak -- [--seconds N] [--warmup N] [--runners N] [--unit-rate N] [--plugin-node-options "<flags>"]\n',
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
process.stdout.write(`${[`Date: ${new Date().toISOString()}`, '', ...lines].join('\n')}\n`);
