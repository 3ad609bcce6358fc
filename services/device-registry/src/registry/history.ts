import type { Unit } from '../store/model.js';
import type { RegistryStore } from '../store/registry-store.js';
import { isoTime } from './records.js';

export const DEFAULT_HISTORY_LIMIT = 1000;
/** Answers stay well under the contract's 256 KiB message limit; `truncated` tells the caller to ask for more. */
const MAX_ANSWER_BYTES = 200 * 1024;

export interface HistoryQueryInput {
  from?: string | undefined;
  to?: string | undefined;
  limit?: number | undefined;
}

export interface HistoryAnswer {
  rows: { timestamp: string; nValue: number; sValue: string }[];
  truncated?: boolean;
}

/** A unit's history rows in a time range, oldest first. Ask again with `from` after the last row to page on. */
export function queryHistory(store: RegistryStore, unit: Unit, query: HistoryQueryInput): HistoryAnswer {
  const from = query.from ? Date.parse(query.from) : 0;
  const to = query.to ? Date.parse(query.to) : Number.MAX_SAFE_INTEGER;
  const limit = query.limit ?? DEFAULT_HISTORY_LIMIT;
  const found = store.history(unit.id, from, to, limit + 1);
  const rows: HistoryAnswer['rows'] = [];
  let bytes = 0;
  for (const record of found.slice(0, limit)) {
    const row = { timestamp: isoTime(record.timestamp), nValue: record.nValue, sValue: record.sValue };
    bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
    if (bytes > MAX_ANSWER_BYTES) return { rows, truncated: true };
    rows.push(row);
  }
  return found.length > limit ? { rows, truncated: true } : { rows };
}
