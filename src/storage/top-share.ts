import type { Dimension } from '../core/ledger-row.js';
import { SPLIT, type SqlDialect, type SqlRunner, chooseRollup, partSql, readPlan } from './aggregate.js';
import type { TimeFilter, TopShare } from './ports.js';

/**
 * The most expensive tenth of one dimension's groups over a window (rounded up, at least one;
 * groups without a value and groups whose requests net to zero left out), and their cost
 * against all groups', ranked and summed by the database: a month has 10⁵ sessions, which
 * were slow to merge and sort in JS. The groups are read as `aggregate` reads them (daily,
 * hourly and raw parts of the window), so the answer is the same as ranking its rows. Groups
 * without a value are left out, so a tag's or pool's rollup serves it alone (aggregate makes up
 * their '' group from the plain rollup).
 */
export async function topShare(run: SqlRunner, d: SqlDialect, q: TimeFilter & { by: Dimension }): Promise<TopShare> {
  const params: unknown[] = [];
  const by = [q.by];
  const parts = readPlan(q, chooseRollup(by)).map(({ part, table }) => partSql(d, { by, costOnly: true }, by, part, table, params));
  // A group's cost is (q, r): q×SPLIT + r picodollars. r is not within [0, SPLIT) (remainders
  // are summed, and a daily rollup's may be negative after a removal), so it is ranked on the
  // floor-normalised pair: exact on both engines, where q×SPLIT + r could pass 64 bits.
  const rest = `(((r % ${SPLIT}) + ${SPLIT}) % ${SPLIT})`;
  // The top tenth by a LIMIT (a bounded sort), not a window function: at 200,000 sessions the
  // ranking of every row cost three times the grouping.
  const sql =
    `WITH parts AS (${parts.join(' UNION ALL ')}), ` +
    // Summed as 64-bit integers: Postgres's SUM of a BIGINT is a NUMERIC, and ranking 200,000
    // of those cost a third more than the rest of the query (10M rows). Past 2⁶³ microdollars for
    // one group the query fails on both engines (SQLite's SUM already raises an overflow) rather
    // than rank a wrong sum.
    `sums AS MATERIALIZED (SELECT CAST(SUM(cost_q) AS BIGINT) AS q, CAST(SUM(cost_r) AS BIGINT) AS r FROM parts WHERE k0 <> '' GROUP BY k0 HAVING SUM(requests) <> 0), ` +
    // ⌈groups / 10⌉ in integers (at least one when there are any).
    `head AS (SELECT q, r FROM sums ORDER BY q + (r - ${rest}) / ${SPLIT} DESC, ${rest} DESC LIMIT (SELECT (COUNT(*) + 9) / 10 FROM sums)) ` +
    `SELECT a.group_count, a.all_q, a.all_r, b.top, b.top_q, b.top_r FROM ` +
    `(SELECT COUNT(*) AS group_count, SUM(q) AS all_q, SUM(r) AS all_r FROM sums) a, (SELECT COUNT(*) AS top, SUM(q) AS top_q, SUM(r) AS top_r FROM head) b`;
  const [row] = await run(sql, params);
  const big = (k: string) => BigInt((row?.[k] as bigint | number | string | null) ?? 0);
  return {
    groups: Number(row?.group_count ?? 0),
    top: Number(row?.top ?? 0),
    topCostPicos: big('top_q') * SPLIT + big('top_r'),
    costPicos: big('all_q') * SPLIT + big('all_r'),
  };
}
