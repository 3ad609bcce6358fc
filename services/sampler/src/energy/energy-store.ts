import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { describeZodError, EnergyCounter, type Logger } from '@wattbus/shared';
import { z } from 'zod';
import type { EnergyTotals } from './energy-counters.js';

const ChannelKey = z.enum(['1', '2', '3', '4', '5', '6']);

/** Why a save failed: the system's message and error code (ENOSPC, EROFS, ...). */
export interface StoreFailure {
  message: string;
  code: string | undefined;
}

/** The energy file: version 1 holds the counters and when they were saved. */
const EnergyFile = z.object({
  version: z.literal(1),
  saved: z.string(),
  cts: z.partialRecord(ChannelKey, EnergyCounter),
  home: EnergyCounter,
  production: EnergyCounter,
  net: EnergyCounter,
});

/**
 * Keeps the counters on disk. A save writes a temporary file next to the real one, flushes it, and renames it
 * over the old file, so a crash or power cut leaves either the old or the new file, never a torn one. A failed
 * save (disk full, read-only directory) is logged and leaves the existing file untouched; the service goes on.
 */
export class EnergyStore {
  private failing = false;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    /**
     * Called when saving starts failing (with why) and when it works again (undefined), not at every attempt:
     * a degraded store is news for the bus, not only for the log.
     */
    private readonly onHealthChange?: (failure: StoreFailure | undefined) => void,
  ) {}

  /** The stored counters; undefined when there is no file yet or it cannot be used (logged). */
  load(): EnergyTotals | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.logger.info({ file: this.path }, 'no energy file yet; counters start at 0');
      } else {
        this.logger.error({ file: this.path, err: (error as Error).message }, 'cannot read the energy file');
      }
      return undefined;
    }
    let parsed: z.infer<typeof EnergyFile>;
    try {
      const checked = EnergyFile.safeParse(JSON.parse(text));
      if (!checked.success) throw new Error(describeZodError(checked.error));
      parsed = checked.data;
    } catch (error) {
      // Keep the unreadable file for a human instead of overwriting it with the next save.
      const aside = `${this.path}.corrupt-${Date.now()}`;
      try {
        renameSync(this.path, aside);
      } catch {
        // The next save will fail the same way and say so.
      }
      this.logger.error(
        { file: this.path, movedTo: aside, err: (error as Error).message },
        'the energy file is not valid; it was moved aside and counters continue from the broker or 0',
      );
      return undefined;
    }
    const { version: _version, saved: _saved, ...totals } = parsed;
    return totals;
  }

  /** Saves atomically; returns false (after logging why) when the file could not be written. */
  save(totals: EnergyTotals): boolean {
    const temporary = `${this.path}.tmp-${process.pid}`;
    const text = `${JSON.stringify({ version: 1, saved: new Date().toISOString(), ...totals }, null, 2)}\n`;
    let descriptor: number | undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      descriptor = openSync(temporary, 'w', 0o644);
      writeSync(descriptor, text);
      fsyncSync(descriptor);
      closeSync(descriptor);
      descriptor = undefined;
      renameSync(temporary, this.path);
      syncDirectory(dirname(this.path));
    } catch (error) {
      if (descriptor !== undefined) {
        try {
          closeSync(descriptor);
        } catch {
          // Already failing; the original error is the one to report.
        }
      }
      try {
        unlinkSync(temporary);
      } catch {
        // It may never have been created.
      }
      const failure = { message: (error as Error).message, code: (error as NodeJS.ErrnoException).code };
      this.logger.error(
        { file: this.path, err: failure.message, code: failure.code },
        'cannot save the energy counters; the previous file is kept and sampling goes on (degraded)',
      );
      if (!this.failing) this.onHealthChange?.(failure);
      this.failing = true;
      return false;
    }
    if (this.failing) {
      this.failing = false;
      this.logger.info({ file: this.path }, 'energy counters saved again');
      this.onHealthChange?.(undefined);
    }
    return true;
  }
}

/** Makes the rename itself durable. Some file systems refuse fsync on a directory; that is not an error. */
function syncDirectory(path: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    fsyncSync(descriptor);
  } catch {
    // Best effort.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
