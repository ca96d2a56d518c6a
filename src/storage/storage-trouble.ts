import { StorageUnavailableError, errorCode } from '../core/errors.js';

/**
 * Whether a failed write was storage's trouble (locked, full, unreachable, shutting down)
 * rather than the rows': then the same rows are retried later, never set aside.
 * SQLite says so in its result code, Postgres in the SQLSTATE's class, Node in its errno code.
 */
export function isStorageTrouble(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const code = errorCode(err);
  if (code === undefined) return err instanceof Error && PG_CONNECTION_ERRORS.has(err.message);
  if (code.startsWith('SQLITE_')) return SQLITE_TROUBLE.test(code);
  if (/^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E')) return POSTGRES_TROUBLE_CLASSES.has(code.slice(0, 2));
  // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOSPC, EACCES, …
  return /^E[A-Z]+$/.test(code);
}

const SQLITE_TROUBLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|READONLY|CANTOPEN|PROTOCOL|CORRUPT|NOTADB|INTERRUPT|ABORT|PERM|AUTH|NOLFS)/;

/**
 * 08 connection, 25 transaction state, 28 authorization (a password changed), 3D catalog (the
 * database dropped or renamed), 40 rollback (deadlock, serialization), 53 resources (disk full,
 * too many connections), 55 lock not available, 57 operator (shutdown, cancel), 58 system (I/O),
 * XX internal. Not 22 (data) or 23 (constraint): those are the rows'.
 */
const POSTGRES_TROUBLE_CLASSES = new Set(['08', '25', '28', '3D', '40', '53', '55', '57', '58', 'XX']);

/**
 * The Postgres driver's own errors (pg, pg-pool), which carry no code: a server that cannot be
 * reached in time or whose connection was lost. A pool whose connections all wait on a hung
 * server fails the next checkout with the first; a query on one of them fails with `Query read
 * timeout` (postgres/pool.ts).
 */
const PG_CONNECTION_ERRORS = new Set([
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);
