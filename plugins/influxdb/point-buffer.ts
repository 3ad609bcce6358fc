/** A run of buffered points handed to a write, identified by their sequence numbers. */
export interface Batch {
  readonly lines: readonly string[];
  /** Sequence number just past the batch's last point. */
  readonly end: number;
}

/**
 * The points waiting to be written, oldest first, bounded so that a long database outage cannot eat the Pi's
 * memory. When it is full the oldest points make room for new ones, and every dropped point is counted. Points
 * stay in the buffer while a write is in flight and leave it only once the write succeeded (or was refused for
 * good), so a failed write loses nothing.
 */
export class PointBuffer {
  private lines: string[] = [];
  /** Sequence number of `lines[0]`; every point pushed gets the next number. */
  private head = 0;
  private droppedTotal = 0;
  private droppedUnreported = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a whole number >= 1');
  }

  get size(): number {
    return this.lines.length;
  }

  /** Points dropped since the start because the buffer was full or the database refused them. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Adds points; returns how many of the oldest had to be dropped to make room. */
  push(lines: readonly string[]): number {
    for (const line of lines) this.lines.push(line);
    const overflow = this.lines.length - this.capacity;
    if (overflow <= 0) return 0;
    this.lines.splice(0, overflow);
    this.head += overflow;
    this.count(overflow);
    return overflow;
  }

  /** The oldest points, at most `max`, for the next write. */
  peek(max: number): Batch {
    const lines = this.lines.slice(0, max);
    return { lines, end: this.head + lines.length };
  }

  /** Removes a batch once it is written. Points of it that overflow pushed out meanwhile are gone already. */
  remove(batch: Batch): void {
    const count = Math.min(Math.max(0, batch.end - this.head), this.lines.length);
    this.lines.splice(0, count);
    this.head += count;
  }

  /** Removes a batch the database refused for good (a bad request is not retried) and counts it as dropped. */
  discard(batch: Batch): void {
    const present = Math.min(Math.max(0, batch.end - this.head), this.lines.length);
    this.remove(batch);
    this.count(present);
  }

  private count(dropped: number): void {
    this.droppedTotal += dropped;
    this.droppedUnreported += dropped;
  }

  /** Points dropped since the last call, so each log line reports new drops once. */
  takeUnreportedDrops(): number {
    const count = this.droppedUnreported;
    this.droppedUnreported = 0;
    return count;
  }
}
