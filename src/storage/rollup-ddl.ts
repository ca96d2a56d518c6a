import { DAILY_ROLLUPS, DAY_MS, HOURLY_ROLLUPS, HOUR_MS, MICRO_PICOS, ROLLUP_COUNTS, ROLLUP_DIMENSIONS, ROLLUP_MEASURES, ROLLUP_SPAN, rollupKeys } from './schema.js';
import { type TypeMap, rollupTable } from './ddl.js';

/**
 * Version 14: the daily rollups, written with the hourly ones from then on, and filled here
 * from the hourly rollups a database already has (they hold every row written so far).
 */
export function schemaV14(t: TypeMap): string[] {
  const fills = dailyFromHourlySql('picos');
  return DAILY_ROLLUPS.flatMap((daily, i) => [rollupTable(daily, t, ROLLUP_MEASURES), fills[i]!]);
}

/**
 * Version 15: the hourly rollups' cost split as the daily ones' is (whole microdollars and the
 * picodollars left over), since one key's hour can pass the 64-bit range too; filled from the
 * single cost column, which is then dropped.
 */
export function schemaV15(t: TypeMap): string[] {
  return HOURLY_ROLLUPS.flatMap((table) => [
    `ALTER TABLE ${table} ADD COLUMN cost_micros ${t.bigint} NOT NULL DEFAULT 0`,
    `ALTER TABLE ${table} ADD COLUMN cost_rest_picos ${t.bigint} NOT NULL DEFAULT 0`,
    `UPDATE ${table} SET cost_micros = cost_picos / ${MICRO_PICOS}, cost_rest_picos = cost_picos % ${MICRO_PICOS}`,
    `ALTER TABLE ${table} DROP COLUMN cost_picos`,
  ]);
}

/**
 * Per daily rollup table, in DAILY_ROLLUPS order: the statement that fills it from its hourly
 * table, whose cost is one column of picodollars (before migration 15) or already split.
 */
export function dailyFromHourlySql(hourlyCost: 'picos' | 'split'): string[] {
  return DAILY_ROLLUPS.map((daily, i) => {
    const keys = rollupKeys(daily).slice(1);
    const sums = ROLLUP_COUNTS.map((m) => `SUM(${m})`);
    const cost = hourlyCost === 'picos' ? [`SUM(cost_picos / ${MICRO_PICOS})`, `SUM(cost_picos % ${MICRO_PICOS})`] : ['SUM(cost_micros)', 'SUM(cost_rest_picos)'];
    return (
      `INSERT INTO ${daily} (${rollupKeys(daily).join(', ')}, ${ROLLUP_MEASURES.join(', ')}) ` +
      `SELECT (hour / ${DAY_MS}) * ${DAY_MS}, ${[...keys, ...sums, ...cost].join(', ')} FROM ${HOURLY_ROLLUPS[i]!} GROUP BY ${['1', ...keys].join(', ')}`
    );
  });
}

/** Days of history before the latest hour whose session-hours migration 26 gives a span: the runaway detector's 14 and one. */
export const SPAN_BACKFILL_DAYS = 15;

/**
 * Version 26: when each hourly session rollup row's requests started, the first and the last
 * (ROLLUP_SPAN), so that the runaway-session detector judges a session's burn rate against past
 * burn rates rather than hourly totals. Filled from the raw rows for the last SPAN_BACKFILL_DAYS
 * before the latest hour (one GROUP BY over the `ts` index); older rows stay null, judged as
 * whole hours as before (docs/ledger.md has the migration's time on a large ledger).
 */
export function schemaV26(t: TypeMap): string[] {
  const dims = ROLLUP_DIMENSIONS.map((c, i) => `COALESCE(${c}, '') AS d${i}`);
  const same = ROLLUP_DIMENSIONS.map((c, i) => `rollup_session_hourly.${c} = s.d${i}`);
  return [
    ...ROLLUP_SPAN.map((c) => `ALTER TABLE rollup_session_hourly ADD COLUMN ${c} ${t.bigint}`),
    `UPDATE rollup_session_hourly SET first_ts = s.f, last_ts = s.l FROM (` +
      `SELECT (ts / ${HOUR_MS}) * ${HOUR_MS} AS h, session_id AS sid, ${dims.join(', ')}, MIN(ts) AS f, MAX(ts) AS l FROM requests ` +
      `WHERE ts >= (SELECT MAX(hour) FROM rollup_session_hourly) - ${SPAN_BACKFILL_DAYS * DAY_MS} AND session_id <> '' ` +
      `GROUP BY ${['1', '2', ...ROLLUP_DIMENSIONS.map((_, i) => String(i + 3))].join(', ')}) AS s ` +
      `WHERE rollup_session_hourly.hour = s.h AND rollup_session_hourly.session_id = s.sid AND ${same.join(' AND ')}`,
  ];
}
