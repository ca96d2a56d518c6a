import type { Dimension } from '../core/ledger-row.js';
import { type AggregateQuery, type AggregateRow, type Totals, addTotals, emptyTotals } from './ports.js';
import { DAY_MS, HOUR_MS, type RollupTable, scalarText } from './schema.js';

/** The few places where SQLite and Postgres SQL differ. */
export interface SqlDialect {
  /** Placeholder for the i-th (1-based) parameter. */
  param(i: number): string;
  /** Expression reading tag `key` from the raw table's `tags` JSON ('' when absent). */
  tagExpr(key: string): string;
  /** Truthiness test of a boolean column. */
  isTrue(column: string): string;
}

export type SqlRunner = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

type Source = { kind: 'raw' } | { kind: 'rollup'; table: RollupTable };
interface Part {
  raw: boolean;
  since: number | undefined;
  until: number | undefined;
}

/**
 * The rollup that serves a grouping. A tag or pool rollup holds only the rows that have
 * one, so `partial` marks the dimension whose missing value ('') is made up from rollup_hourly.
 */
interface RollupChoice {
  table: RollupTable;
  partial?: number;
}

const SPLIT = 1_000_000n;

/**
 * Answers an aggregate query exactly: whole hours come from a rollup table, and only the
 * partial hours at the window's edges are read from raw rows (all of the window when the
 * grouping combines two of session, a tag and pool). Costs are summed as (quotient,
 * remainder) pairs so that SQLite's 64-bit SUM cannot overflow on large totals.
 */
export async function aggregate(run: SqlRunner, dialect: SqlDialect, q: AggregateQuery): Promise<AggregateRow[]> {
  if (q.by.filter((d) => d.startsWith('tag:')).length > 1) throw new RangeError('report: group by at most one tag at a time');
  const choice = chooseRollup(q.by);

  const out = new Map<string, AggregateRow>();
  const merge = (keys: string[], t: Totals, sign: 1 | -1 = 1) => {
    const id = keys.join('\u0000');
    let row = out.get(id);
    if (!row) out.set(id, (row = { keys, ...emptyTotals() }));
    addTotals(row, sign === 1 ? t : negate(t));
  };

  for (const part of plan(q.since, q.until, choice !== undefined)) {
    if (part.raw || !choice) {
      for (const r of await runPart(run, dialect, q, q.by, part, { kind: 'raw' })) merge(r.keys, r);
      continue;
    }
    const rows = await runPart(run, dialect, q, q.by, part, { kind: 'rollup', table: choice.table });
    for (const r of rows) merge(r.keys, r);
    const at = choice.partial;
    if (at !== undefined) {
      // Requests without the tag or pool are not in its rollup: they are the plain totals minus the others.
      const plainBy = q.by.filter((_, i) => i !== at);
      for (const r of await runPart(run, dialect, q, plainBy, part, { kind: 'rollup', table: 'rollup_hourly' })) merge(insertAt(r.keys, at, ''), r);
      for (const r of rows) merge(insertAt(r.keys.filter((_, i) => i !== at), at, ''), r, -1);
    }
  }
  return [...out.values()].filter((r) => r.requests !== 0).map((r) => ({ ...r, keys: r.keys.map((k, i) => formatKey(q.by[i]!, k)) }));
}

/** Undefined when no rollup holds the grouping. */
function chooseRollup(by: readonly Dimension[]): RollupChoice | undefined {
  const own = by.flatMap((d, i) => (d === 'session' || d === 'pool' || d.startsWith('tag:') ? [i] : []));
  if (own.length === 0) return { table: 'rollup_hourly' };
  if (own.length > 1) return undefined;
  const at = own[0]!;
  const d = by[at]!;
  if (d === 'session') return { table: 'rollup_session_hourly' };
  return { table: d === 'pool' ? 'rollup_pool_hourly' : 'rollup_tag_hourly', partial: at };
}

function plan(since: number | undefined, until: number | undefined, rollupUsable: boolean): Part[] {
  if (!rollupUsable) return [{ raw: true, since, until }];
  const firstHour = since === undefined ? undefined : Math.ceil(since / HOUR_MS) * HOUR_MS;
  const endHour = until === undefined ? undefined : Math.floor(until / HOUR_MS) * HOUR_MS;
  if (firstHour !== undefined && endHour !== undefined && firstHour >= endHour) return [{ raw: true, since, until }];
  const parts: Part[] = [];
  if (since !== undefined && firstHour !== since) parts.push({ raw: true, since, until: firstHour });
  parts.push({ raw: false, since: firstHour, until: endHour });
  if (until !== undefined && endHour !== until) parts.push({ raw: true, since: endHour, until });
  return parts;
}

async function runPart(run: SqlRunner, d: SqlDialect, q: AggregateQuery, by: readonly Dimension[], part: Part, source: Source): Promise<AggregateRow[]> {
  const raw = source.kind === 'raw';
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return d.param(params.length);
  };
  const time = raw ? 'ts' : 'hour';
  const where: string[] = [];
  if (part.since !== undefined) where.push(`${time} >= ${p(part.since)}`);
  if (part.until !== undefined) where.push(`${time} < ${p(part.until)}`);
  const tag = by.find((x) => x.startsWith('tag:'));
  if (!raw && tag && source.table === 'rollup_tag_hourly') where.push(`tag_key = ${p(tag.slice(4))}`);
  const dims = by.map((dim) => dimensionExpr(dim, raw, d));
  const measures = raw ? rawMeasures(d, q.costOnly) : rollupMeasures(q.costOnly);
  const from = raw ? 'requests' : source.table;
  const sql =
    `SELECT ${[...dims.map((e, i) => `${e} AS k${i}`), measures].join(', ')} FROM ${from}` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    (dims.length ? ` GROUP BY ${dims.map((_, i) => `k${i}`).join(', ')}` : '');
  const rows = await run(sql, params);
  return rows.map((r) => ({ keys: by.map((_, i) => scalarText(r[`k${i}`])), ...readTotals(r) }));
}

function dimensionExpr(dim: Dimension, raw: boolean, d: SqlDialect): string {
  const time = raw ? 'ts' : 'hour';
  const col = (c: string) => (raw ? `COALESCE(${c}, '')` : c);
  switch (dim) {
    case 'day':
      return `(${time} / ${DAY_MS}) * ${DAY_MS}`;
    case 'hour':
      return `(${time} / ${HOUR_MS}) * ${HOUR_MS}`;
    case 'user':
      return col('user_name');
    case 'session':
      return col('session_id');
    case 'key':
      return col('key_id');
    case 'pool':
    case 'team':
    case 'project':
    case 'model':
    case 'provider':
    case 'client':
    case 'api':
      return col(dim);
    default:
      return raw ? d.tagExpr(dim.slice(4)) : 'tag_value';
  }
}

const RAW_COST = [`SUM(COALESCE(cost_picos, 0) / ${SPLIT}) AS cost_q`, `SUM(COALESCE(cost_picos, 0) % ${SPLIT}) AS cost_r`];
const ROLLUP_COST = [`SUM(cost_picos / ${SPLIT}) AS cost_q`, `SUM(cost_picos % ${SPLIT}) AS cost_r`];

function rawMeasures(d: SqlDialect, costOnly = false): string {
  if (costOnly) return ['COUNT(*) AS requests', ...RAW_COST].join(', ');
  return [
    'COUNT(*) AS requests',
    `SUM(CASE WHEN outcome NOT IN ('ok', 'client_aborted') THEN 1 ELSE 0 END) AS errors`,
    `SUM(CASE WHEN ${d.isTrue('unpriced')} THEN 1 ELSE 0 END) AS unpriced_requests`,
    ...['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls'].map((c) => `SUM(${c}) AS ${c}`),
    ...RAW_COST,
  ].join(', ');
}

function rollupMeasures(costOnly = false): string {
  if (costOnly) return ['SUM(requests) AS requests', ...ROLLUP_COST].join(', ');
  return [
    ...['requests', 'errors', 'unpriced_requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls'].map((c) => `SUM(${c}) AS ${c}`),
    ...ROLLUP_COST,
  ].join(', ');
}

function readTotals(r: Record<string, unknown>): Totals {
  const n = (k: string) => Number(r[k] ?? 0);
  const big = (k: string) => BigInt((r[k] as bigint | number | string | null) ?? 0);
  return {
    requests: n('requests'),
    errors: n('errors'),
    unpricedRequests: n('unpriced_requests'),
    inputTokens: n('input_tokens'),
    cacheReadTokens: n('cache_read_tokens'),
    cacheWriteTokens: n('cache_write_tokens'),
    cacheWrite1hTokens: n('cache_write_1h_tokens'),
    outputTokens: n('output_tokens'),
    reasoningTokens: n('reasoning_tokens'),
    toolCalls: n('tool_calls'),
    costPicos: big('cost_q') * SPLIT + big('cost_r'),
  };
}

function negate(t: Totals): Totals {
  return {
    requests: -t.requests,
    errors: -t.errors,
    unpricedRequests: -t.unpricedRequests,
    inputTokens: -t.inputTokens,
    cacheReadTokens: -t.cacheReadTokens,
    cacheWriteTokens: -t.cacheWriteTokens,
    cacheWrite1hTokens: -t.cacheWrite1hTokens,
    outputTokens: -t.outputTokens,
    reasoningTokens: -t.reasoningTokens,
    toolCalls: -t.toolCalls,
    costPicos: -t.costPicos,
  };
}

function insertAt(keys: string[], index: number, value: string): string[] {
  return [...keys.slice(0, index), value, ...keys.slice(index)];
}

function formatKey(dim: Dimension, value: string): string {
  if (value === '' || (dim !== 'day' && dim !== 'hour')) return value;
  const iso = new Date(Number(value)).toISOString();
  return dim === 'day' ? iso.slice(0, 10) : iso.slice(0, 13) + ':00Z';
}
