import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, SCHEMA_VERSION, SchemaTooNewError } from './migrations.js';

export interface DatabaseOptions {
  path: string;
  synchronous: 'full' | 'normal';
  /** 0 = no cap. */
  maxDatabaseMb: number;
}

export interface OpenedDatabase {
  db: Database;
  /** Set when the database could only be opened for reading (read-only file system, no permission). */
  readOnlyReason?: string;
  /** Migrations applied by this open. */
  migrated: number[];
}

/** SQLite result codes that mean "the storage cannot take writes", as opposed to a bug in a statement. */
const STORAGE_CODES = [
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_PERM',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
];

export function isStorageError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_CODES.some((prefix) => code.startsWith(prefix));
}

/** A one-line explanation of a storage error for logs and error responses. */
export function describeStorageError(error: unknown): string {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_FULL')) return `the database or the disk is full (${message})`;
  if (code.startsWith('SQLITE_READONLY')) return `the database is read-only (${message})`;
  if (code.startsWith('SQLITE_IOERR')) return `the disk reported an I/O error (${message})`;
  return message;
}

function applyPragmas(db: Database, options: DatabaseOptions): void {
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  if (options.maxDatabaseMb > 0) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(
      `max_page_count = ${Math.max(1, Math.floor((options.maxDatabaseMb * 1024 * 1024) / pageSize))}`,
    );
  }
}

/**
 * Opens (creating if needed) the registry database in WAL mode and migrates it. When the file system refuses
 * writes, the database is opened read-only instead so the registry can still serve what it stored; errors that
 * leave nothing to read are thrown.
 */
export function openDatabase(options: DatabaseOptions): OpenedDatabase {
  try {
    mkdirSync(dirname(options.path), { recursive: true });
  } catch {
    // A read-only parent directory: opening below reports the real problem, or succeeds read-only.
  }
  let db: Database;
  try {
    db = new BetterSqlite3(options.path);
  } catch (error) {
    return openReadOnly(options, error);
  }
  try {
    db.pragma('journal_mode = WAL');
    // Schema version and pragma reads never write; this proves that commits can work before anything relies on it.
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
  } catch (error) {
    db.close();
    if (isStorageError(error)) return openReadOnly(options, error);
    throw error;
  }
  applyPragmas(db, options);
  const migrated = migrate(db);
  return { db, migrated };
}

function openReadOnly(options: DatabaseOptions, cause: unknown): OpenedDatabase {
  const reason = `cannot write ${options.path}: ${describeStorageError(cause)}`;
  let db: Database;
  try {
    db = new BetterSqlite3(options.path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new Error(`${reason}; opening it read-only failed too: ${(error as Error).message}`);
  }
  // A read-only database cannot be migrated, and new code must not read an old schema.
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw new SchemaTooNewError(version);
  if (version < SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `${reason}; its schema (version ${version}) needs migrating to ${SCHEMA_VERSION}, which needs writing`,
    );
  }
  return { db, readOnlyReason: reason, migrated: [] };
}

/**
 * Closes the database so that the file is complete on its own: the WAL is checkpointed and the journal mode set
 * back to DELETE, so a copy of the file (a backup) or a read-only mount can be opened without the -wal file.
 */
export function closeDatabase(db: Database, readOnly: boolean): void {
  if (!db.open) return;
  if (!readOnly) {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('journal_mode = DELETE');
    } catch {
      // A full or failing disk: the WAL stays and SQLite recovers it on the next open.
    }
  }
  db.close();
}
