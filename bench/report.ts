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
}

export function formatNumber(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}
