import type { Db } from './db.js';

/** Below this many rows a batch binds every column (preparing a statement of its own would cost more). */
const MIN_ROWS = 64;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A value as SQL text that SQLite stores exactly as libsql binds it, or undefined when it
 * has none: libsql binds every JS number as a REAL (so a whole number is written `5.0`), a
 * bigint as an INTEGER (a literal out of the 64-bit range would become a REAL), -0 as
 * itself, and a string up to a NUL (which SQL text cannot hold).
 */
export function sqlLiteral(v: unknown): string | undefined {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return v.includes('\0') ? undefined : `'${v.replaceAll("'", "''")}'`;
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? `${v}.0` : undefined;
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? String(v) : undefined;
  return undefined;
}

/**
 * Inserts a batch of rows (values in `columns` order) with one statement in which the
 * columns that hold the same value in every row are SQL literals, bound never. libsql
 * converts each bound parameter (about 0.2 µs), and the rows of a log import share most of
 * their columns (source, client, user, nulls…): a first import binds a third as many.
 * Returns, per row, whether it was inserted (`INSERT OR IGNORE`: false for an id already present).
 */
export function insertWithConstants(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], plain: { run(values: unknown[]): { changes: number } }): boolean[] {
  if (rows.length < MIN_ROWS) return rows.map((v) => plain.run(v).changes === 1);
  const first = rows[0]!;
  const literals = columns.map((_, i) => {
    const v = first[i];
    const literal = sqlLiteral(v);
    return literal !== undefined && rows.every((r) => Object.is(r[i], v)) ? literal : undefined;
  });
  const bound = literals.flatMap((l, i) => (l === undefined ? [i] : []));
  if (bound.length === columns.length) return rows.map((v) => plain.run(v).changes === 1);
  const stmt = db.prepare(`INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${literals.map((l) => l ?? '?').join(', ')})`);
  const params: unknown[] = new Array<unknown>(bound.length);
  return rows.map((v) => {
    for (let j = 0; j < bound.length; j++) params[j] = v[bound[j]!];
    return stmt.run(params).changes === 1;
  });
}
