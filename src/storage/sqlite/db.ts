import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { errorCode } from '../../core/errors.js';
import { migrations } from '../migrations.js';
import { checkSchemaVersion } from '../schema-version.js';
import { SqliteOpenError } from './open-error.js';
import { checkDirsWritable, makeDirs } from '../../files/make-dirs.js';

export type Db = InstanceType<typeof Database>;
export type Statement = ReturnType<Db['prepare']>;
type Row = Record<string, unknown>;

/** How long a statement waits for another connection's write lock (blocking its thread meanwhile). */
export const LOCK_WAIT_MS = 5000;

export const SQLITE_TYPES = { text: 'TEXT', int: 'INTEGER', bigint: 'INTEGER', bool: 'INTEGER', json: 'TEXT', serial: 'INTEGER', keyedTableSuffix: ' WITHOUT ROWID', arrival: 'INTEGER' };

/**
 * The embedded default: one SQLite file in WAL mode. WAL lets `tollgate report` read
 * while `tollgate serve` writes; synchronous=NORMAL is durable against a crash of the
 * process (the kill -9 case), and the metering spool covers the gap until a batch commits.
 */
export function openDb(path: string): Db {
  let db: Db;
  try {
    if (path !== ':memory:') makeDirs(dirname(path));
    db = new Database(path);
    // The first statement reads the file: a file that is not a database fails here.
    db.exec('PRAGMA journal_mode = WAL');
  } catch (err) {
    throw new SqliteOpenError(path, err);
  }
  db.exec('PRAGMA synchronous = NORMAL');
  // SQLite's own default page cache (2 MB) on every connection: better-sqlite3 is built with
  // 16 MB, and the gateway's connections, each filled by a day's rows, took its memory from
  // 124 to 201 MB without making its writes or an import's faster.
  db.exec('PRAGMA cache_size = -2000');
  // A checkpoint every 4,000 pages of WAL (16 MB) rather than SQLite's 1,000: the pages every
  // batch rewrites (the tables' and indexes' last pages, the rollups') are copied into the file
  // once per checkpoint, not once per version. 0.45 µs less CPU a gateway row (8.9 against 8.5).
  db.exec('PRAGMA wal_autocheckpoint = 4000');
  db.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Throws the SqliteOpenError `openDb(path)` would for a file not made yet, when its folder cannot
 * be made or written (a file on the way, no write access), making nothing (`tollgate check`).
 */
export function checkCreatable(path: string): void {
  try {
    checkDirsWritable(dirname(path));
  } catch (err) {
    throw new SqliteOpenError(path, err);
  }
}

/**
 * Throws SqliteOpenError when the connection cannot write: SQLite opens a file its user cannot
 * write read-only, and says so only at the first write. Another connection holding the write
 * lock (an import) is no answer either way, and is not waited for.
 */
export function checkWritable(db: Db, path: string): void {
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      // A read-only connection takes the transaction: only a write tells. This one is rolled back.
      db.exec('UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)');
    } finally {
      db.exec('ROLLBACK');
    }
  } catch (err) {
    if (!isLockBusy(err)) throw new SqliteOpenError(path, err);
  } finally {
    db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  }
}

/** Whether an error is SQLite's "database is locked": another connection held the write lock past the wait allowed. */
export function isLockBusy(err: unknown): boolean {
  return errorCode(err) === 'SQLITE_BUSY';
}

/** Brings a database to the current schema (exported for the benchmarks' seeder, which opens its own connection). */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const latest = db.prepare('SELECT MAX(version) AS v FROM schema_migrations');
  const all = migrations(SQLITE_TYPES);
  const stored = Number((latest.get() as Row).v ?? 0);
  checkSchemaVersion(stored, SQLITE_TYPES);
  if (stored >= all[all.length - 1]!.version) return;
  // Every pending migration in one transaction (a new ledger's first open runs them all), the
  // version read again inside it: another connection may have migrated in the meantime.
  db.transaction(() => {
    const current = Number((latest.get() as Row).v ?? 0);
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const m of all) {
      if (m.version <= current) continue;
      for (const s of m.statements) db.exec(s);
      record.run(m.version, Date.now());
    }
  }).immediate();
}

/**
 * Prepared statements by SQL text, for queries built at run time and asked again and again
 * (reports, the anomaly detectors every interval): preparing one costs more than running most
 * of them. Holds the `max` most recently added; SQLite re-prepares a statement itself after a
 * schema change.
 */
export function statementCache(prepare: (sql: string) => Statement, max = 256): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (s === undefined) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      s = prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
}

/**
 * When the database at `path` was made (its first migration's time, in ms), read without
 * migrating; undefined when there is no file or no schema yet. Tells a database deleted and
 * made again at the same path from the one that was there.
 */
export function createdAt(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  let db: Db | undefined;
  try {
    db = new Database(path);
    db.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
    const row = db.prepare('SELECT applied_at AS t FROM schema_migrations ORDER BY version LIMIT 1').get() as Row | undefined;
    return row === undefined ? undefined : String(row.t);
  } catch {
    return undefined; // not a ledger (yet): opening it to write says why
  } finally {
    db?.close();
  }
}
