/**
 * The local mail store: one SQLite file, `<home>/mail.sqlite`, opened with
 * the `node:sqlite` module built into Node (and into Electron's Node), so
 * there is no native module to rebuild per platform.
 *
 * - WAL journal, `synchronous=FULL`: a commit survives a crash of the process
 *   and of the machine; readers never block the writer.
 * - `foreign_keys=ON` on every connection (SQLite's default is off).
 * - `busy_timeout`: the app and the command line share the file; a writer
 *   waits for the other's transaction instead of failing at once.
 * - Every write is a transaction (`transaction()`, `BEGIN IMMEDIATE`, so a
 *   reader never has to upgrade to a writer and miss the busy handler).
 * - Migrations: `schema_version` records each applied step; each step runs in
 *   its own transaction; a file from a newer Sealpost is refused, untouched.
 *
 * Statements of `node:sqlite` cannot be closed one by one: they are finalized
 * when they are collected or when their database closes. Callers close the
 * database in a `finally`.
 */
import type { DatabaseSync } from 'node:sqlite';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

/**
 * `node:sqlite`, loaded without its one-time "experimental feature" warning:
 * the command line's contract is one clear line on stderr, and the module is
 * what Electron's Node ships. Only that warning is dropped, only while the
 * module loads.
 */
function loadSqlite(): typeof import('node:sqlite') {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back, and called with its own `this` below
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/^SQLite is an experimental feature/.test(text)) return;
    return (emit as (...a: unknown[]) => void).call(this, warning, ...rest);
  };
  try {
    return process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

const sqlite = loadSqlite();

export type { Migration } from './migrations.ts';
export type Database = DatabaseSync;

export const STORE_FILE = 'mail.sqlite';
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface OpenOptions {
  /** How long a write waits for another process's transaction (ms). */
  busyTimeoutMs?: number;
  /** For tests of the migration machinery; the app always uses the built-in list. */
  migrations?: readonly Migration[];
}

export function storePath(home: string): string {
  return join(home, STORE_FILE);
}

/** Opens (creating on first use) the profile's mail store, migrated to `SCHEMA_VERSION`. */
export function openStore(home: string, options: OpenOptions = {}): DatabaseSync {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = storePath(home);
  // Created empty and private first: SQLite gives its -wal and -shm files the
  // mode of the database file, and an empty file is an empty database.
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new SealpostError('io', `${path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot create'}`, ioDetails(path, e));
  }
  return openDatabase(path, options);
}

/** Opens a store at `path` (or `':memory:'`), sets the connection's pragmas and migrates. */
export function openDatabase(path: string, options: OpenOptions = {}): DatabaseSync {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: DatabaseSync | undefined;
  try {
    db = new sqlite.DatabaseSync(path, {
      timeout: busyTimeoutMs,
      enableForeignKeyConstraints: true,
      enableDoubleQuotedStringLiterals: false,
    });
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    const mode = String(db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode ?? '');
    if (mode !== 'wal' && path !== ':memory:') {
      throw new SealpostError('io', `the mail store cannot use a write-ahead log here (journal mode ${mode})`);
    }
    db.exec('PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA trusted_schema = OFF;');
    if (db.prepare('PRAGMA foreign_keys').get()?.foreign_keys !== 1) throw new SealpostError('internal', 'foreign keys cannot be enabled');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (e) {
    try {
      db?.close();
    } catch {
      // the original error is the one to report
    }
    throw translateSqliteError(e);
  }
}

/** The version recorded in the store: 0 for an empty file. */
export function schemaVersion(db: DatabaseSync): number {
  const table = db.prepare("SELECT 1 AS present FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'").get();
  if (!table) {
    const other = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT 1")
      .get();
    if (other) throw new SealpostError('store-corrupt', 'the file is not a Sealpost mail store (no schema version)');
    return 0;
  }
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get();
  const version = row?.version ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new SealpostError('store-corrupt', 'the schema version is unreadable');
  }
  return version;
}

/**
 * Brings the store to the last migration's version, one transaction per
 * step. Two processes may migrate at once: each step re-reads the version
 * inside its write transaction, so a step is applied once. A store newer than
 * the code is refused before anything is written.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SealpostError('internal', `migration ${i + 1} is numbered ${m.version}`);
  });
  const known = migrations.length;
  const refuseNewer = (version: number) => {
    if (version > known) {
      throw new SealpostError(
        'store-newer-schema',
        `it has schema version ${version}, this version of Sealpost knows up to ${known}; update Sealpost`,
        { version, supported: known },
      );
    }
  };
  const from = schemaVersion(db);
  refuseNewer(from);
  let current = from;
  while (current < known) {
    current = transaction(db, () => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT',
      );
      const version = schemaVersion(db);
      refuseNewer(version);
      if (version >= known) return version;
      const step = migrations[version]!;
      step.up(db);
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
        step.version,
        step.description,
        Date.now(),
      );
      return step.version;
    });
  }
  return { from, to: current };
}

let savepoints = 0;

/**
 * Runs `fn` in a write transaction: all of its writes or none. Nested calls
 * become savepoints, so a repository function that is a transaction of its
 * own can be part of a larger one. `fn` must be synchronous.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) {
    const name = `sp_${++savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const result = notAPromise(fn());
      db.exec(`RELEASE ${name}`);
      return result;
    } catch (e) {
      if (db.isTransaction) db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw e;
    }
  }
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (e) {
    throw translateSqliteError(e);
  }
  try {
    const result = notAPromise(fn());
    db.exec('COMMIT');
    return result;
  } catch (e) {
    if (db.isTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // SQLite has rolled back already (an I/O error or a full disk does that)
      }
    }
    throw translateSqliteError(e);
  }
}

function notAPromise<T>(value: T): T {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    throw new SealpostError('internal', 'a store transaction must be synchronous');
  }
  return value;
}

interface SqliteError {
  code: 'ERR_SQLITE_ERROR';
  errcode: number;
  errstr: string;
}

export function isSqliteError(e: unknown): e is SqliteError & Error {
  return (
    e instanceof Error && (e as Partial<SqliteError>).code === 'ERR_SQLITE_ERROR' && typeof (e as Partial<SqliteError>).errcode === 'number'
  );
}

/** SQLite's constraint failures (a UNIQUE, CHECK or FOREIGN KEY violation). */
export function isConstraintError(e: unknown, kind?: 'unique' | 'foreign-key' | 'check' | 'primary-key'): boolean {
  if (!isSqliteError(e) || (e.errcode & 0xff) !== 19) return false;
  const extended: Record<string, number> = { unique: 2067, 'foreign-key': 787, check: 275, 'primary-key': 1555 };
  return kind === undefined || e.errcode === extended[kind];
}

/** SQLite's result codes that the user must hear about, as registry errors; anything else unchanged. */
export function translateSqliteError(e: unknown): unknown {
  if (!isSqliteError(e)) return e;
  switch (e.errcode & 0xff) {
    case 5: // SQLITE_BUSY
    case 6: // SQLITE_LOCKED
      return new SealpostError('store-busy');
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
      return new SealpostError('store-corrupt', e.errstr);
    case 13: // SQLITE_FULL
      return new SealpostError('io', 'the disk is full', { errno: 'SQLITE_FULL' });
    case 8: // SQLITE_READONLY
    case 10: // SQLITE_IOERR
    case 14: // SQLITE_CANTOPEN
      return new SealpostError('io', `the mail store: ${e.errstr}`);
    default:
      return e;
  }
}
