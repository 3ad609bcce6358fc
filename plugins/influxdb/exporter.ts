import type { Logger } from '@wattbus/shared';
import { formatLine, type Point } from './line-protocol.js';
import type { PointBuffer } from './point-buffer.js';
import { InfluxError, type InfluxWriter } from './writers.js';

export interface ExporterOptions {
  /** Writes start once this many points wait. */
  batchSize: number;
  /** The most points per request. */
  maxBatch: number;
  /** The longest wait between attempts while the database is down. */
  maxRetryDelayMs: number;
  /** The first wait after a failed write; it doubles with each failure. */
  firstRetryDelayMs?: number;
  /** Dropped points are logged at most this often. */
  dropReportMs?: number;
}

/**
 * Moves points from the bounded buffer to InfluxDB in batches. A failed write keeps its points and is tried again
 * with a doubling delay; points the database refuses as malformed are dropped and counted. Nothing here throws at
 * the caller: the plugin must outlive any database problem.
 */
export class InfluxExporter {
  private pump: Promise<void> | undefined;
  private prepared = false;
  private retryDelayMs: number;
  private failing = false;
  private lastDropReport = 0;
  private wake: (() => void) | undefined;
  private stopped = false;
  /** Points written since the start. */
  written = 0;

  constructor(
    private readonly writer: InfluxWriter,
    private readonly buffer: PointBuffer,
    private readonly options: ExporterOptions,
    private readonly logger: Logger,
  ) {
    this.retryDelayMs = this.firstRetryDelayMs;
  }

  private get firstRetryDelayMs(): number {
    return this.options.firstRetryDelayMs ?? 1000;
  }

  /** Queues points and starts a write when enough are waiting. */
  add(points: readonly Point[]): void {
    const lines = points.map(formatLine).filter((line): line is string => line !== undefined);
    this.buffer.push(lines);
    this.reportDrops(false);
    if (this.buffer.size >= this.options.batchSize) this.start();
  }

  private start(): void {
    if (this.stopped) return;
    this.pump ??= this.run().finally(() => {
      this.pump = undefined;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.buffer.size >= this.options.batchSize) {
      if (!(await this.attempt())) await this.waitForRetry();
    }
  }

  /** One write of the oldest batch; false when it failed and should be tried again later. */
  private async attempt(): Promise<boolean> {
    const batch = this.buffer.peek(this.options.maxBatch);
    try {
      if (!this.prepared) {
        for (const warning of await this.writer.prepare()) this.logger.warn(warning);
        this.prepared = true;
      }
      await this.writer.write(batch.lines);
    } catch (error) {
      const failure =
        error instanceof InfluxError
          ? error
          : new InfluxError(`write failed: ${(error as Error).message}`, true);
      // A database that disappeared (dropped, or a server that lost its data) is created again.
      if (failure.status === 404) this.prepared = false;
      if (!failure.retryable) {
        this.buffer.discard(batch);
        this.logger.error(
          { err: failure.message, points: batch.lines.length, dropped_total: this.buffer.dropped },
          `${this.writer.description} refused ${batch.lines.length} points; they are dropped`,
        );
        this.buffer.takeUnreportedDrops();
        return true;
      }
      this.logger.warn(
        { err: failure.message, buffered: this.buffer.size, retry_in_ms: this.retryDelayMs },
        `cannot write to ${this.writer.description}; keeping the points and retrying`,
      );
      this.failing = true;
      return false;
    }
    this.buffer.remove(batch);
    this.written += batch.lines.length;
    this.retryDelayMs = this.firstRetryDelayMs;
    if (this.failing) {
      this.failing = false;
      this.logger.info(
        { buffered: this.buffer.size },
        `${this.writer.description} is back; writing the backlog`,
      );
    }
    return true;
  }

  private async waitForRetry(): Promise<void> {
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.options.maxRetryDelayMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private reportDrops(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDropReport < (this.options.dropReportMs ?? 10_000)) return;
    const dropped = this.buffer.takeUnreportedDrops();
    if (dropped === 0) return;
    this.lastDropReport = now;
    this.logger.error(
      { dropped, dropped_total: this.buffer.dropped, buffer_size: this.buffer.capacity },
      `point buffer full while ${this.writer.description} is unreachable: dropped the ${dropped} oldest points`,
    );
  }

  /**
   * Stops the retry loop and makes one last attempt to write what is buffered (within the writer's timeout), so a
   * clean stop loses nothing while the database is up. Returns the number of points left unwritten.
   */
  async stop(): Promise<number> {
    this.stopped = true;
    this.wake?.();
    await this.pump;
    while (this.buffer.size > 0) {
      const before = this.buffer.size;
      if (!(await this.attempt()) || this.buffer.size >= before) break;
    }
    this.reportDrops(true);
    return this.buffer.size;
  }
}
