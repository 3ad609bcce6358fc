import { cpus } from 'node:os';
import type { BenchResult } from '../report.js';
import { formatNumber } from '../report.js';
import { type LoadReport, type ProcessFigures, type Role, SOAK } from './run-load.js';

/** The load test's figures as benchmark results (each with its target), and tables of every process. */

const LATENCY_TARGET_MS = 5;
const GROWTH_TARGET = 0.1;
const RUNNER_IDLE_TARGET_MIB = 60;

const growth = (process: ProcessFigures) => (process.endRss - process.warmRss) / process.warmRss;
const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
const mib = (value: number | undefined) => (value === undefined ? '' : value.toFixed(1));
const ms = (value: number) => `${formatNumber(value)} ms`;

/** How the V8 heap of a service changed over the window, when it was logged: what RSS growth is made of. */
function heapChange(process: ProcessFigures): string {
  const heap = process.heapSeries;
  if (!heap || heap.length === 0) return '';
  const first = heap[0]!;
  const last = heap.at(-1)!;
  return ` (V8 young generation ${mib(first.young)} -> ${mib(last.young)} MiB, old generation in use ${mib(
    first.old,
  )} -> ${mib(last.old)} MiB)`;
}

function largest(processes: ProcessFigures[], value: (process: ProcessFigures) => number) {
  return processes.reduce((best, process) => (value(process) > value(best) ? process : best));
}

function ofRole(report: LoadReport, role: Role): ProcessFigures[] {
  return report.processes.filter((process) => process.role === role);
}

export function loadResults(report: LoadReport): BenchResult[] {
  const { latency, units, options } = report;
  const conditions =
    `${options.runners} plugin runners, ${formatNumber(report.readingRate)} readings/s, ` +
    `${formatNumber(options.units)} units updated at ${formatNumber(options.unitRate)}/s offered, ` +
    `${options.measureSeconds} s measured after ${options.warmupSeconds} s of warm-up` +
    (options.pluginNodeOptions === undefined
      ? ''
      : `, plugin processes with node_options ${JSON.stringify(options.pluginNodeOptions)}`) +
    (options.runnerV8 === 'default' ? ", runner supervisors without main.js' V8 flags" : '') +
    `, broker with NODE_OPTIONS ${JSON.stringify(options.brokerNodeOptions ?? '')}`;
  const fanOutCpu =
    (report.processes
      .filter((process) => process.role === 'runner' || process.role === 'plugin')
      .reduce((sum, process) => sum + process.cpu, 0) /
      report.readingRate) *
    1000;
  const latencyDetail =
    `${conditions}; ${formatNumber(latency.samples)} callbacks (${report.readingsInWindow} readings x ` +
    `${options.runners} plugins, ${report.missed} missed), max ${ms(latency.max)}, worst plugin's p99 ` +
    `${ms(report.worstPluginP99)}. From the reading's timestamp (end of its batch) instead of the publish: p50 ` +
    `${ms(report.fromTimestamp.p50)}, p99 ${ms(report.fromTimestamp.p99)}. Publish to a plain MQTT subscriber ` +
    `(the broker hop alone): p50 ${ms(report.brokerHop.p50)}, p99 ${ms(report.brokerHop.p99)}. Per reading, the ` +
    `first plugin to get it: p50 ${ms(report.firstPlugin.p50)}, p99 ${ms(report.firstPlugin.p99)}; the last: p50 ` +
    `${ms(report.lastPlugin.p50)}, p99 ${ms(report.lastPlugin.p99)}. The runner supervisors and plugin processes ` +
    `spent ${ms(fanOutCpu)} of CPU per reading between them, at least ${ms(fanOutCpu / cpus().length)} of ` +
    `work on ${cpus().length} cores before the last of them can have it`;

  // The target is about wattbus' processes; the bench's own client is listed in the tables but not held to it.
  const grown = largest(
    report.processes.filter((process) => process.role !== 'bench'),
    growth,
  );
  const services = report.processes.filter((process) =>
    ['broker', 'registry', 'sampler'].includes(process.role),
  );
  const soakLong = options.warmupSeconds >= SOAK.warmupSeconds;
  const runners = ofRole(report, 'runner');
  const plugins = ofRole(report, 'plugin');
  const idle = (processes: ProcessFigures[]) => largest(processes, (process) => process.idleRss ?? 0);
  const idleSupervisor = idle(runners);
  const idlePlugin = idle(plugins);
  const idleDetail = (processes: ProcessFigures[]) => {
    const values = processes.map((process) => process.idleRss ?? Number.NaN).sort((a, b) => a - b);
    return `${processes.length} processes, min ${mib(values[0])}, median ${mib(values[Math.floor(values.length / 2)])} MiB; ${
      values.at(-1)! < (60e6 / 2 ** 20) ? 'also' : 'not'
    } under 60 MB counted as 10^6 bytes (57.2 MiB)`;
  };
  const unitRate = units.acknowledged / units.seconds;
  const pairIdle = Math.max(
    ...runners.map(
      (runner) =>
        (runner.idleRss ?? Number.NaN) +
        (plugins.find((plugin) => plugin.name === `${runner.name} (plugin)`)?.idleRss ?? Number.NaN),
    ),
  );

  return [
    {
      name: 'reading latency p50 (sampler publish -> plugin callback)',
      value: latency.p50,
      unit: 'ms',
      detail: latencyDetail,
    },
    {
      name: 'reading latency p99 (sampler publish -> plugin callback)',
      value: latency.p99,
      unit: 'ms',
      target: `< ${LATENCY_TARGET_MS} ms`,
      met: latency.p99 < LATENCY_TARGET_MS && report.missed === 0,
    },
    {
      name: 'registry unit updates acknowledged',
      value: unitRate,
      unit: 'updates/s',
      target: `the offered ${formatNumber(options.unitRate)}/s`,
      met: units.failed === 0 && units.skipped === 0 && unitRate >= options.unitRate * 0.95,
      detail:
        `${formatNumber(units.acknowledged)} of ${formatNumber(units.offered)} offered in ${units.seconds.toFixed(1)} s ` +
        `(${units.failed} failed${units.firstError ? `, the first with "${units.firstError}"` : ''}, ` +
        `${units.skipped} not sent because 5 000 were waiting), request to acknowledgement ` +
        `p50 ${ms(units.p50)}, p99 ${ms(units.p99)}; ${formatNumber(options.units)} kWh units of 10 hardware ` +
        `entries, created through the plugin protocol in ${units.createSeconds.toFixed(1)} s; each update is a ` +
        'durable write and a retained state publish',
    },
    {
      name: 'largest RSS growth over the measured window',
      value: growth(grown) * 100,
      unit: '%',
      // Only a window that starts once the services are warm can hold a process to the target (see SOAK).
      ...(soakLong
        ? {
            target: `<= ${GROWTH_TARGET * 100} % for every wattbus process`,
            met: growth(grown) <= GROWTH_TARGET,
          }
        : {
            target: `context: the <= ${GROWTH_TARGET * 100} % target is judged by \`npm run soak\` (docs/soak.md), after ${SOAK.warmupSeconds} s of warm-up`,
          }),
      detail:
        `${grown.name}: ${mib(grown.warmRss)} -> ${mib(grown.endRss)} MiB${heapChange(grown)}; ` +
        services.map((process) => `${process.name} ${percent(growth(process))}`).join(', ') +
        `; runners at most ${percent(growth(largest(runners, growth)))}, plugin processes at most ` +
        `${percent(growth(largest(plugins, growth)))} (every process in the table below)`,
    },
    {
      name: 'idle RSS of a plugin runner, supervisor process (largest of all)',
      value: idleSupervisor.idleRss!,
      unit: 'MiB',
      target: `< ${RUNNER_IDLE_TARGET_MIB} MiB`,
      met: idleSupervisor.idleRss! < RUNNER_IDLE_TARGET_MIB,
      detail:
        `${idleSupervisor.name}; ${idleDetail(runners)}. A runner is two processes (this supervisor and its ` +
        `plugin process, below); together, idle, at most ${mib(pairIdle)} MiB`,
    },
    {
      name: 'idle RSS of a plugin runner, plugin process (largest of all)',
      value: idlePlugin.idleRss!,
      unit: 'MiB',
      target: `< ${RUNNER_IDLE_TARGET_MIB} MiB`,
      met: idlePlugin.idleRss! < RUNNER_IDLE_TARGET_MIB,
      detail: `${idlePlugin.name}; ${idleDetail(plugins)}`,
    },
  ];
}

const ROLE_NAMES: Record<Role, string> = {
  broker: 'broker',
  sampler: 'sampler',
  registry: 'device registry',
  runner: 'plugin runner supervisors',
  plugin: 'plugin processes (load probe)',
  bench: 'bench process (unit load client, monitor)',
};

/** The services' V8 heap at the same moments as their RSS, where it was logged. */
function heapLines(series: ProcessFigures[]): string[] {
  const logged = series.filter((process) => process.heapSeries);
  if (logged.length === 0) return [];
  return [
    'Their V8 heap at the same moments, young generation size / old generation in use (MiB): a leak shows as an',
    'old generation that keeps growing, while a young generation that steps up to its limit and stays there is V8',
    'sizing itself to the load:',
    '',
    ...logged.map(
      (process) =>
        `- ${process.name}: ${process.heapSeries!.map((heap) => `${mib(heap.young)}/${mib(heap.old)}`).join(', ')}`,
    ),
    '',
  ];
}

/** Markdown: CPU and RSS per role, then every process. */
export function loadTables(report: LoadReport): string {
  const seconds = report.options.measureSeconds;
  const lines = [
    `CPU in cores (1 = one core busy) over the ${seconds} s window and, for "idle", over 5 s with every runner up`,
    'and nothing published; RSS in MiB idle, once warm (start of the window) and at its end.',
    '',
    '| processes | count | CPU (sum) | CPU idle (sum) | RSS idle (max) | RSS warm (max) | RSS end (max) | RSS growth (max) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  let total = 0;
  for (const role of Object.keys(ROLE_NAMES) as Role[]) {
    const processes = ofRole(report, role);
    if (processes.length === 0) continue;
    const sum = (value: (process: ProcessFigures) => number | undefined) =>
      processes.reduce((acc, process) => acc + (value(process) ?? 0), 0);
    const max = (value: (process: ProcessFigures) => number | undefined) =>
      Math.max(...processes.map((process) => value(process) ?? Number.NaN));
    total += sum((process) => process.cpu);
    lines.push(
      `| ${ROLE_NAMES[role]} | ${processes.length} | ${sum((p) => p.cpu).toFixed(3)} | ${
        role === 'sampler' ? '(not running)' : sum((p) => p.idleCpu).toFixed(3)
      } | ${role === 'sampler' ? '' : mib(max((p) => p.idleRss))} | ${mib(max((p) => p.warmRss))} | ${mib(
        max((p) => p.endRss),
      )} | ${percent(max(growth))} |`,
    );
  }
  lines.push(`| all | ${report.processes.length} | ${total.toFixed(3)} | | | | | |`, '');
  const { machine } = report;
  lines.push(
    `The machine (${machine.cores} cores) was busy ${machine.busy.toFixed(2)} cores on average over the window, ` +
      `${machine.others.toFixed(2)} of them outside this test (other work sharing it); 1-minute load average at ` +
      `the end: ${machine.loadAverage.toFixed(1)}.`,
    '',
  );

  const series = report.processes.filter((process) =>
    ['broker', 'registry', 'sampler'].includes(process.role),
  );
  lines.push(
    'RSS (MiB) of the services every 5 s through the window:',
    '',
    ...series.map((process) => `- ${process.name}: ${process.rssSeries.map(mib).join(', ')}`),
    '',
    ...heapLines(series),
    '<details><summary>Every process</summary>',
    '',
    '| process | pid | CPU | CPU idle | RSS idle | RSS warm | RSS end | growth |',
    '|---|---|---|---|---|---|---|---|',
    ...report.processes.map(
      (process) =>
        `| ${process.name} | ${process.pid} | ${process.cpu.toFixed(3)} | ${process.idleCpu?.toFixed(3) ?? ''} | ${mib(
          process.idleRss,
        )} | ${mib(process.warmRss)} | ${mib(process.endRss)} | ${percent(growth(process))} |`,
    ),
    '',
    '</details>',
  );
  if (report.restarts > 0)
    lines.push('', `**${report.restarts} plugin processes were restarted during the run.**`);
  return lines.join('\n');
}
