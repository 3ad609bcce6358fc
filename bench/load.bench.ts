import { loadResults, loadTables } from './load/report-load.js';
import { type LoadReport, runLoad } from './load/run-load.js';
import type { BenchSuite } from './report.js';

/**
 * Issue 8's load test in its short form (`npm run soak` runs the full 60 s): every service as a real process, 50
 * plugin runners receiving ~10 readings/s, 5 000 units in the registry updated at 500/s. See bench/load/run-load.ts
 * for what runs and how latency is measured.
 */
export const LOAD = { runners: 50, units: 5000, unitRate: 500 };

let last: LoadReport | undefined;
const started = Date.now();
const progress = (text: string) =>
  process.stderr.write(`bench load: ${((Date.now() - started) / 1000).toFixed(0)} s: ${text}\n`);

export const suite: BenchSuite = {
  area: 'load',
  command: 'npx tsx bench/run-all.ts load',
  async run() {
    last = await runLoad({ ...LOAD, warmupSeconds: 10, measureSeconds: 20, progress });
    return loadResults(last);
  },
  appendix: () => (last ? loadTables(last) : undefined),
};
