import { ROLLUP_MEASURES, ROLLUP_SPAN, type RollupTable, hasSpan, rollupKeys } from './schema.js';

/**
 * The UPSERT that adds a delta to a rollup row (same syntax in SQLite ≥ 3.24 and Postgres). With
 * `span` (the hourly session rollup since version 26) the delta's first and last `ts` follow the
 * measures and are merged as a minimum and a maximum. A delta with no span (only rows taken away
 * by a replacement) leaves the stored span as it was: a minimum cannot be taken back, so a span
 * can only be wider than its rows, never narrower. A row that has requests and no span (written
 * before version 26, or older than its backfill) keeps none: a span of only the newer rows would
 * make its hour look shorter, and busier, than it was.
 */
export function rollupUpsertSql(table: RollupTable, param: (i: number) => string, measures: readonly string[] = ROLLUP_MEASURES, span = hasSpan(table)): string {
  const keys = rollupKeys(table);
  const cols = [...keys, ...measures, ...(span ? ROLLUP_SPAN : [])];
  const merge = (c: string, wins: '<' | '>') =>
    `${c} = CASE WHEN ${table}.${c} IS NULL AND ${table}.requests <> 0 THEN NULL WHEN ${table}.${c} IS NULL OR excluded.${c} ${wins} ${table}.${c} THEN excluded.${c} ELSE ${table}.${c} END`;
  const sets = [...measures.map((m) => `${m} = ${table}.${m} + excluded.${m}`), ...(span ? [merge('first_ts', '<'), merge('last_ts', '>')] : [])];
  return (
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => param(i + 1)).join(', ')}) ` +
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sets.join(', ')}`
  );
}
