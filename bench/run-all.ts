import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchResult, type BenchSuite, formatSection, machineLines } from './report.js';

/**
 * Runs every `bench/*.bench.ts` suite (or only the areas named on the command line) and writes
 * docs/benchmarks.md: the machine, the date, the commands, and each number next to its target.
 */
const here = dirname(fileURLToPath(import.meta.url));
const began = Date.now();
const wanted = process.argv.slice(2);
// The single-process suites first: the load test's hundred processes leave the machine busy for a while after
// they exit, which would otherwise show up in the calculation throughput measured after it.
const ORDER = ['sampler', 'registry', 'broker', 'fanout', 'load'];
const rank = (file: string) => {
  const index = ORDER.indexOf(file.replace(/\.bench\.ts$/, ''));
  return index === -1 ? ORDER.length : index;
};
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const sections: { suite: BenchSuite; results: BenchResult[]; seconds: number; error?: string }[] = [];
for (const file of files) {
  const { suite } = (await import(pathToFileURL(join(here, file)).href)) as { suite: BenchSuite };
  if (wanted.length > 0 && !wanted.includes(suite.area)) continue;
  process.stderr.write(`bench: ${suite.area} ...\n`);
  const started = Date.now();
  try {
    const results = await suite.run();
    sections.push({ suite, results, seconds: (Date.now() - started) / 1000 });
  } catch (error) {
    sections.push({ suite, results: [], seconds: (Date.now() - started) / 1000, error: String(error) });
  }
}

const lines = [
  '# Benchmarks',
  '',
  'Measured by `npm run bench` (benchmarks are not tests and do not run in `npm test`). These machines are shared',
  'and noisy, so comparisons are made side by side in one run and reported as ratios where that matters.',
  'Every number below was produced by the command shown with it, on this machine:',
  '',
  ...machineLines(),
  '',
  'The full 60 s load test is `npm run soak`; it prints the same report as the load section below and writes it to',
  '[soak.md](soak.md).',
  '',
];
for (const section of sections) lines.push(...formatSection(section));
lines.push(
  `All suites together took ${((Date.now() - began) / 1000).toFixed(0)} s (the build before them not counted).`,
);
const output = join(
  here,
  '..',
  'docs',
  wanted.length > 0 ? `benchmarks-${wanted.join('-')}.md` : 'benchmarks.md',
);
writeFileSync(output, `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\nwritten to ${output}\n`);
const failed = sections.some((section) => section.error);
process.exit(failed ? 1 : 0);
