import type { SqlDialect, SqlRunner } from './aggregate.js';
import type { RuleTotals, TimeFilter } from './ports.js';
import { scalarText } from './schema.js';
import { timeTerms } from './time-window.js';

const SPLIT = 1_000_000n;

/**
 * Totals per routing rule and mode, read from the raw rows that have a rule (a partial
 * index holds only those, so the scan is over routed requests in the window, not the
 * whole ledger). Money is summed as (quotient, remainder) pairs, as in `aggregate`.
 */
export async function ruleTotals(run: SqlRunner, d: SqlDialect, f: TimeFilter): Promise<RuleTotals[]> {
  const params: unknown[] = [];
  const where = ['route_rule IS NOT NULL', ...timeTerms(f, params, (i) => d.param(i))];
  const money = (expr: string, name: string) => [`SUM(${expr} / ${SPLIT}) AS ${name}_q`, `SUM(${expr} % ${SPLIT}) AS ${name}_r`];
  const sql =
    `SELECT route_rule AS rule, COALESCE(route_mode, '') AS mode, COUNT(*) AS requests, ` +
    `SUM(CASE WHEN outcome NOT IN ('ok', 'client_aborted') THEN 1 ELSE 0 END) AS errors, ` +
    `SUM(CASE WHEN cost_picos IS NULL OR route_saving_picos IS NULL THEN 1 ELSE 0 END) AS unpriced, ` +
    `SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, ` +
    [...money('COALESCE(cost_picos, 0)', 'cost'), ...money('COALESCE(route_saving_picos, 0)', 'saving')].join(', ') +
    ` FROM requests WHERE ${where.join(' AND ')} GROUP BY route_rule, route_mode`;
  const rows = await run(sql, params);
  const big = (r: Record<string, unknown>, k: string) => BigInt((r[k] as bigint | number | string | null) ?? 0);
  return rows.map((r) => ({
    rule: scalarText(r.rule),
    mode: scalarText(r.mode) === 'shadow' ? 'shadow' : 'enforce',
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    unpricedRequests: Number(r.unpriced ?? 0),
    inputTokens: Number(r.input_tokens ?? 0),
    outputTokens: Number(r.output_tokens ?? 0),
    costPicos: big(r, 'cost_q') * SPLIT + big(r, 'cost_r'),
    savingPicos: big(r, 'saving_q') * SPLIT + big(r, 'saving_r'),
  }));
}
