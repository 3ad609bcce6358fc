import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/helpers/processes.js';

/** The load test's view of a service's V8 heap, logged by bench/fixtures/heap-log.cjs inside the service. */

/** MiB: the young generation's size and the old generation in use. */
export interface HeapSample {
  young: number;
  old: number;
}

const HEAP_LOG = join(REPO_ROOT, 'bench', 'fixtures', 'heap-log.cjs');

/** The environment that makes a service log its V8 heap into `file` (bench/fixtures/heap-log.cjs). */
export function heapLogged(nodeOptions: string, file: string): Record<string, string> {
  return { NODE_OPTIONS: `${nodeOptions} --require ${HEAP_LOG}`.trim(), WATTBUS_BENCH_HEAP_FILE: file };
}

/** For each moment in `times` (epoch ms), the last heap sample taken by then, in MiB. */
export function heapAt(file: string, times: number[]): HeapSample[] | undefined {
  if (!existsSync(file)) return undefined;
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ').map(Number) as [number, number, number]);
  const result: HeapSample[] = [];
  for (const time of times) {
    const last = samples.findLast(([at]) => at <= time);
    if (!last) return undefined;
    result.push({ young: last[1] / 2 ** 20, old: last[2] / 2 ** 20 });
  }
  return result;
}
