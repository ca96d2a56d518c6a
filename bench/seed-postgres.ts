import pg from 'pg';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { openPostgres } from '../src/storage/postgres/postgres-storage.js';
import { rollupSql } from './seed.js';
import { ATTEMPT_COLUMNS, REQUEST_COLUMNS, ROLLUP_TABLES, attemptValues, rowValues } from '../src/storage/schema.js';

/** Rows per INSERT: one array parameter per column, so the statement size does not grow with it. */
const CHUNK = 5000;

/**
 * Fills an empty Postgres ledger (`url`, in `schema` if given) with `rows` generated rows, far
 * faster than the insert path: the project's migrations, then the secondary indexes of
 * `requests` dropped, the raw rows loaded by `INSERT … SELECT FROM unnest(arrays)` (one
 * statement per 5,000 rows, the next chunk generated while Postgres writes the last), the
 * indexes rebuilt, and every rollup built by one INSERT … SELECT … GROUP BY per table, as
 * bench/seed.ts does for SQLite. The rollups equal what the insert path writes
 * (test/integration/fast-seed-postgres.int.test.ts compares them). Returns the seconds taken.
 */
export async function seedPostgres(o: { url: string; schema?: string }, rows: number, row: (i: number) => LedgerRow, log: (line: string) => void = () => {}): Promise<number> {
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  await (await openPostgres({ ...o, maxConnections: 1 })).close();
  const db = new pg.Client({ connectionString: o.url, ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}) });
  await db.connect();
  try {
    const one = async (sql: string) => (await db.query<Record<string, unknown>>(sql)).rows;
    if (Number((await one('SELECT COUNT(*) AS n FROM requests'))[0]!.n) > 0) throw new Error('the fast seeder fills only an empty ledger');
    await db.query('SET synchronous_commit = off');
    const indexes = (await one("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'requests' AND indexname <> 'requests_pkey'")) as { indexname: string; indexdef: string }[];
    for (const i of indexes) await db.query(`DROP INDEX "${i.indexname}"`);
    const insertRequests = await unnestInsert(db, 'requests', REQUEST_COLUMNS);
    const insertAttempts = await unnestInsert(db, 'attempts', ATTEMPT_COLUMNS);
    let pending: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < rows; i += CHUNK) {
      const chunk: unknown[][] = [];
      const attempts: unknown[][] = [];
      for (let j = i; j < Math.min(rows, i + CHUNK); j++) {
        const r = row(j);
        chunk.push(rowValues(r, (b) => b));
        if (r.attemptLog) for (const a of r.attemptLog) attempts.push(attemptValues(a, (b) => b));
      }
      await pending;
      pending = Promise.all([insertRequests(chunk), insertAttempts(attempts)]);
      if (i % 1_000_000 === 0) log(`${i.toLocaleString('en-US')} rows, ${since()}`);
    }
    await pending;
    log(`rows written, ${since()}; building indexes`);
    for (const i of indexes) await db.query(i.indexdef);
    log(`indexes built, ${since()}; building rollups`);
    for (const sql of rollupSql('postgres')) await db.query(sql);
    // Vacuumed too, as a long-lived ledger is: the visibility map lets index-only scans skip the heap, and autovacuum
    // does not start on the new rows in the middle of a benchmark.
    for (const table of ['requests', 'attempts', ...ROLLUP_TABLES]) await db.query(`VACUUM ANALYZE ${table}`);
    log(`rollups built, tables vacuumed and analysed, ${since()}`);
  } finally {
    await db.end();
  }
  return (performance.now() - t0) / 1000;
}

/** A loader of rows (arrays of values in `columns` order) into `table`, one array parameter per column, typed from the table itself. */
async function unnestInsert(db: pg.Client, table: string, columns: readonly string[]): Promise<(rows: unknown[][]) => Promise<unknown>> {
  const { rows: types } = await db.query<{ name: string; type: string }>(
    'SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
    [table],
  );
  const typeOf = new Map(types.map((t) => [t.name, t.type]));
  const params = columns.map((c, k) => `$${k + 1}::${typeOf.get(c)}[]`);
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${params.join(', ')})`;
  return async (rows) => {
    if (rows.length === 0) return;
    await db.query(sql, columns.map((_, k) => rows.map((r) => (typeof r[k] === 'bigint' ? r[k].toString() : r[k]))));
  };
}

