import type { Database } from 'better-sqlite3';

/**
 * Versioned schema migrations. `PRAGMA user_version` holds the version reached; each migration runs once, in its
 * own transaction, so a crash mid-migration leaves the previous version intact. Never edit a released migration:
 * add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'hardware, devices, units, history, settings, notifiers',
    up(db) {
      db.exec(`
        CREATE TABLE hardware (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL UNIQUE,
          plugin TEXT NOT NULL,
          name TEXT NOT NULL,
          layout TEXT NOT NULL CHECK (layout IN ('extended', 'legacy')),
          settings TEXT NOT NULL DEFAULT '{}',
          configuration TEXT NOT NULL DEFAULT '{}',
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE TABLE devices (
          hardware_id INTEGER NOT NULL REFERENCES hardware (id) ON DELETE CASCADE,
          device_id TEXT NOT NULL,
          timed_out INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (hardware_id, device_id)
        ) WITHOUT ROWID;
        CREATE TABLE units (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          hardware_id INTEGER NOT NULL,
          device_id TEXT NOT NULL,
          unit INTEGER NOT NULL CHECK (unit BETWEEN 1 AND 255),
          name TEXT NOT NULL,
          type_name TEXT,
          type INTEGER NOT NULL,
          subtype INTEGER NOT NULL,
          switchtype INTEGER NOT NULL,
          n_value INTEGER NOT NULL,
          s_value TEXT NOT NULL,
          options TEXT NOT NULL,
          battery_level INTEGER NOT NULL,
          signal_level INTEGER NOT NULL,
          image INTEGER NOT NULL,
          used INTEGER NOT NULL,
          description TEXT NOT NULL,
          color TEXT NOT NULL,
          last_level INTEGER NOT NULL,
          adjustment REAL NOT NULL DEFAULT 0,
          multiplier REAL NOT NULL DEFAULT 1,
          last_update INTEGER NOT NULL,
          last_history INTEGER NOT NULL DEFAULT 0,
          UNIQUE (hardware_id, device_id, unit),
          FOREIGN KEY (hardware_id, device_id) REFERENCES devices (hardware_id, device_id) ON DELETE CASCADE
        );
        CREATE TABLE history (
          unit_id INTEGER NOT NULL REFERENCES units (id) ON DELETE CASCADE,
          timestamp INTEGER NOT NULL,
          n_value INTEGER NOT NULL,
          s_value TEXT NOT NULL
        );
        CREATE INDEX history_by_unit ON history (unit_id, timestamp);
        CREATE INDEX history_by_time ON history (timestamp);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE notifiers (
          hardware_id INTEGER NOT NULL REFERENCES hardware (id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          PRIMARY KEY (hardware_id, name)
        ) WITHOUT ROWID;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class SchemaTooNewError extends Error {
  constructor(found: number) {
    super(
      `the registry database has schema version ${found}, but this registry only knows up to ${SCHEMA_VERSION}; ` +
        'it was written by a newer wattbus. Upgrade wattbus, or restore a backup made by this version.',
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Brings the schema up to date; returns the versions applied. */
export function migrate(db: Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(current);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
