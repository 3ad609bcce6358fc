import Database from 'better-sqlite3';
import type { IClientOptions } from 'mqtt';
import { readRetainedTopics } from '../helpers/retained.js';

/** Every row of every table of a SQLite file, read while its owner keeps running (WAL readers do not block it). */
export function dumpDatabase(path: string): Record<string, string[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    const dump: Record<string, string[]> = {};
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all();
      dump[name] = rows.map((row) => JSON.stringify(row)).sort();
    }
    dump['(user_version)'] = [String(db.pragma('user_version', { simple: true }))];
    return dump;
  } finally {
    db.close();
  }
}

/** The retained messages under `filters`, without the topics `exclude` says change legitimately. */
export async function retainedSnapshot(
  url: string,
  filters: string[],
  clientOptions: IClientOptions,
  exclude: (topic: string) => boolean,
): Promise<Map<string, string>> {
  const all = await readRetainedTopics(url, filters, { clientOptions, minCount: 1, quietMs: 1000 });
  return new Map([...all].filter(([topic]) => !exclude(topic)).sort(([a], [b]) => a.localeCompare(b)));
}

/** Differences between two snapshots, one line each, for an assertion message. */
export function describeDifferences<T>(before: Map<string, T>, after: Map<string, T>): string[] {
  const lines: string[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) lines.push(`removed ${key}: ${String(value).slice(0, 300)}`);
    else if (JSON.stringify(after.get(key)) !== JSON.stringify(value)) {
      lines.push(
        `changed ${key}:\n  before ${String(value).slice(0, 300)}\n  after  ${String(after.get(key)).slice(0, 300)}`,
      );
    }
  }
  for (const [key, value] of after) {
    if (!before.has(key)) lines.push(`added ${key}: ${String(value).slice(0, 300)}`);
  }
  return lines;
}
