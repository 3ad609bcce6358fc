import { execSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** One measured number, with the target it is held to (if any). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target in words, e.g. ">= 20 000 000 samples/s". */
  target?: string;
  /** Whether the target was met; absent when there is no target. */
  met?: boolean;
  /** Conditions or related figures worth reading next to the number. */
  detail?: string;
}

/** A group of benchmarks in `bench/<area>.bench.ts`; `npm run bench` runs every suite it finds. */
export interface BenchSuite {
  area: string;
  /** How to run this suite alone. */
  command: string;
  run(): Promise<BenchResult[]>;
  /** Markdown printed after the results of the last run (tables too wide for a result's detail). */
  appendix?(): string | undefined;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

/** The markdown section of one suite's run: the command, a table of results with targets, details, appendix. */
export function formatSection(section: {
  suite: BenchSuite;
  results: BenchResult[];
  seconds: number;
  error?: string;
}): string[] {
  const { suite, results, seconds, error } = section;
  const lines = [`## ${suite.area}`, '', `Command: \`${suite.command}\` (took ${seconds.toFixed(0)} s)`, ''];
  if (error) lines.push(`**Failed:** ${error}`, '');
  if (results.length > 0) {
    lines.push('| benchmark | measured | target | met |', '|---|---|---|---|');
    for (const result of results) {
      const met = result.met === undefined ? '' : result.met ? 'yes' : '**no**';
      lines.push(
        `| ${result.name} | ${formatNumber(result.value)} ${result.unit} | ${result.target ?? ''} | ${met} |`,
      );
    }
    const details = results.filter((result) => result.detail);
    if (details.length > 0) {
      lines.push('', ...details.map((result) => `- ${result.name}: ${result.detail}`));
    }
    lines.push('');
  }
  const appendix = error ? undefined : suite.appendix?.();
  if (appendix) lines.push(appendix, '');
  return lines;
}

/** The machine a report was measured on, as markdown list items. */
export function machineLines(): string[] {
  const cpu = cpus();
  let mosquitto: string;
  try {
    mosquitto = execSync('mosquitto -h 2>&1 | head -1', { encoding: 'utf8' }).trim();
  } catch {
    mosquitto = 'not installed';
  }
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'} (${cpu.length} cores as seen by Node)`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node.js ${process.version}, ${process.platform} ${process.arch}`,
    `- Mosquitto: ${mosquitto}`,
    `- Load average when the report was written (1, 5, 15 min): ${loadavg()
      .map((value) => value.toFixed(1))
      .join(', ')}`,
    `- Date: ${new Date().toISOString()}`,
  ];
}
