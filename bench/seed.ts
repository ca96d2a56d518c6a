import Database from 'better-sqlite3';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { migrate } from '../src/storage/sqlite/db.js';
import { dailyFromHourlySql } from '../src/storage/rollup-ddl.js';
import { ATTEMPT_COLUMNS, HOUR_MS, MICRO_PICOS, REQUEST_COLUMNS, ROLLUP_DIMENSIONS, ROLLUP_EXTRA_KEYS, ROLLUP_MEASURES, ROLLUP_SPAN, type RollupTable, attemptValues, hasSpan, rowValues } from '../src/storage/schema.js';

/** Rows per transaction: large, since nothing else reads the file while it is seeded. */
const CHUNK = 100_000;

type Row = Record<string, unknown>;

/**
 * Fills an empty SQLite ledger at `path` with `rows` generated rows, far faster than the
 * gateway's insert path (which the benchmarks used to seed through, at hours for 10 million
 * rows): raw rows go in with one prepared statement, in large transactions, with the
 * secondary indexes dropped, no journal and a large page cache; the indexes are then built
 * once, and the rollups with one INSERT … SELECT … GROUP BY per table. The rollups equal what
 * the insert path writes (test/fast-seed.int.test.ts compares them). Returns the seconds taken.
 */
export function seedLedger(path: string, rows: number, row: (i: number) => LedgerRow, log: (line: string) => void = () => {}): number {
  const t0 = performance.now();
  const db = new Database(path);
  try {
    db.exec('PRAGMA journal_mode = OFF');
    migrate(db);
    if (Number((db.prepare('SELECT COUNT(*) AS n FROM requests').get() as Row).n) > 0) throw new Error(`${path}: the fast seeder fills only an empty ledger`);
    db.exec('PRAGMA synchronous = OFF');
    db.exec('PRAGMA cache_size = -1000000');
    const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL").all() as { name: string; sql: string }[];
    for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
    const insertRow = db.prepare(`INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})`);
    const insertAttempt = db.prepare(`INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`);
    const toInt = (b: boolean) => (b ? 1 : 0);
    const chunk = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = row(i);
        insertRow.run(rowValues(r, toInt));
        if (r.attemptLog) for (const a of r.attemptLog) insertAttempt.run(attemptValues(a, toInt));
      }
    });
    for (let i = 0; i < rows; i += CHUNK) {
      chunk(i, Math.min(rows, i + CHUNK));
      if (i % 1_000_000 === 0) log(`${i.toLocaleString('en-US')} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    log(`rows written, ${((performance.now() - t0) / 1000).toFixed(0)} s; building indexes`);
    for (const i of indexes) db.exec(i.sql);
    log(`indexes built, ${((performance.now() - t0) / 1000).toFixed(0)} s; building rollups`);
    for (const sql of rollupSql()) db.exec(sql);
    db.exec('PRAGMA journal_mode = WAL');
    log(`rollups built, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    db.close();
  }
  return (performance.now() - t0) / 1000;
}

/** Where the two engines' SQL differs in rollupSql. */
const ROLLUP_DIALECTS = {
  sqlite: { count: (cond: string) => `SUM(${cond})`, tags: 'json_each(r.tags)' },
  postgres: { count: (cond: string) => `COUNT(*) FILTER (WHERE ${cond})`, tags: 'jsonb_each_text(r.tags)' },
} as const;

/** Each rollup table filled from the raw rows, as src/storage/rollup.ts folds them on insert (SQLite's SQL or Postgres's). */
export function rollupSql(engine: keyof typeof ROLLUP_DIALECTS = 'sqlite'): string[] {
  const d = ROLLUP_DIALECTS[engine];
  // rollupTotals' measures, in ROLLUP_MEASURES order: an error is any outcome but ok and client_aborted (isErrorOutcome).
  const measures = [
    'COUNT(*)',
    d.count("r.outcome NOT IN ('ok', 'client_aborted')"),
    d.count('r.unpriced'),
    'SUM(r.input_tokens)',
    'SUM(r.cache_read_tokens)',
    'SUM(r.cache_write_tokens)',
    'SUM(r.cache_write_1h_tokens)',
    'SUM(r.output_tokens)',
    'SUM(r.reasoning_tokens)',
    'SUM(r.tool_calls)',
    // Both engines truncate toward zero, as BigInt's / and % do in measureValues.
    `SUM(COALESCE(r.cost_picos, 0) / ${MICRO_PICOS})`,
    `SUM(COALESCE(r.cost_picos, 0) % ${MICRO_PICOS})`,
  ];
  if (measures.length !== ROLLUP_MEASURES.length) throw new Error('rollupSql: measures out of step with ROLLUP_MEASURES');
  const dims = ROLLUP_DIMENSIONS.map((c) => `COALESCE(r.${c}, '')`);
  const fill = (table: RollupTable, extra: string[], from: string, where = '') => {
    const keys = [`(r.ts / ${HOUR_MS}) * ${HOUR_MS}`, ...extra, ...dims];
    // The session rollup's span (schema version 26): its rows' first and last ts.
    const span = hasSpan(table) ? ['MIN(r.ts)', 'MAX(r.ts)'] : [];
    const cols = ['hour', ...ROLLUP_EXTRA_KEYS[table], ...ROLLUP_DIMENSIONS, ...ROLLUP_MEASURES, ...(span.length ? ROLLUP_SPAN : [])];
    return `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${[...keys, ...measures, ...span].join(', ')} FROM ${from}${where} GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`;
  };
  return [
    fill('rollup_hourly', [], 'requests r'),
    fill('rollup_session_hourly', ["COALESCE(r.session_id, '')"], 'requests r'),
    fill('rollup_tag_hourly', ['t.key', 't.value'], `requests r, ${d.tags} t`),
    fill('rollup_pool_hourly', ['r.pool'], 'requests r', " WHERE r.pool IS NOT NULL AND r.pool <> ''"),
    // The daily tier from the hourly one, as migration 14 fills it.
    ...dailyFromHourlySql('split'),
  ];
}
