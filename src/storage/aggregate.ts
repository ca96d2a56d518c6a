import type { Dimension } from '../core/ledger-row.js';
import { type AggregateQuery, type AggregateRow, type TimeFilter, type Totals, addTotals, emptyTotals } from './ports.js';
import { DAY_MS, HOUR_MS, MICRO_PICOS, type RollupTable, rollupTimeColumn, scalarText } from './schema.js';

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

export interface Part {
  /** The rollup read (undefined: raw rows). */
  table: RollupTable | undefined;
  since: number | undefined;
  until: number | undefined;
}

/**
 * The rollups that serve a grouping, per tier. A tag or pool rollup holds only the rows that
 * have one, so `partial` marks the dimension whose missing value ('') is made up from the plain rollup.
 */
export interface RollupChoice {
  hourly: RollupTable;
  /** Undefined when the daily tier cannot answer the grouping (by hour; by session with other dimensions). */
  daily: RollupTable | undefined;
  partial?: number;
}

export const SPLIT = MICRO_PICOS;

/**
 * Answers an aggregate query exactly: whole UTC days come from a daily rollup, whole hours
 * at the edges from an hourly one, and only the partial hours at the window's edges are read
 * from raw rows (all of the window when the grouping combines two of session, a tag and
 * pool). Costs are summed as (quotient, remainder) pairs so that SQLite's 64-bit SUM cannot
 * overflow on large totals.
 */
export async function aggregate(run: SqlRunner, dialect: SqlDialect, q: AggregateQuery): Promise<AggregateRow[]> {
  if (q.by.filter((d) => d.startsWith('tag:')).length > 1) throw new RangeError('report: group by at most one tag at a time');
  const choice = chooseRollup(q.by);

  // Rows are kept as read and added to in place: a first-seen key costs no copy (a month by session is 10⁵ keys).
  const out = new Map<string, AggregateRow>();
  const merge = (r: AggregateRow, keys: string[] = r.keys, sign: 1 | -1 = 1) => {
    const id = keys.join('\u0000');
    const row = out.get(id);
    if (row) addSigned(row, r, sign);
    else if (sign === 1 && keys === r.keys) out.set(id, r);
    else {
      const fresh = { ...emptyTotals(), keys };
      addSigned(fresh, r, sign);
      out.set(id, fresh);
    }
  };

  for (const { part, table } of readPlan(q, choice)) {
    const rows = await runPart(run, dialect, q, q.by, part, table);
    const at = choice?.partial;
    if (table !== undefined && at !== undefined) {
      // Requests without the tag or pool are not in its rollup: they are the plain totals minus the others.
      // Subtracted before the rows are merged, since merging may add to them in place.
      const plainBy = q.by.filter((_, i) => i !== at);
      for (const r of rows) merge(r, insertAt(r.keys.filter((_, i) => i !== at), at, ''), -1);
      for (const r of await runPart(run, dialect, q, plainBy, part, part.table)) merge(r, insertAt(r.keys, at, ''));
    }
    for (const r of rows) merge(r);
  }
  const result = [...out.values()].filter((r) => r.requests !== 0);
  if (q.by.some((d) => d === 'day' || d === 'hour')) for (const r of result) r.keys = r.keys.map((k, i) => formatKey(q.by[i]!, k));
  return result;
}

/** The window's parts, each with the table it is read from (undefined: raw rows). */
export function readPlan(q: TimeFilter, choice: RollupChoice | undefined): { part: Part; table: RollupTable | undefined }[] {
  const tiers = choice ? [...(choice.daily ? [DAY_MS] : []), HOUR_MS] : [];
  return plan(q.since, q.until, tiers).map((part) => ({
    part,
    table: part.table === undefined || !choice ? undefined : part.table === 'rollup_daily' ? choice.daily : choice.hourly,
  }));
}

/** Undefined when no rollup holds the grouping. */
export function chooseRollup(by: readonly Dimension[]): RollupChoice | undefined {
  const own = by.flatMap((d, i) => (d === 'session' || d === 'pool' || d.startsWith('tag:') ? [i] : []));
  const byHour = by.includes('hour');
  if (own.length === 0) return { hourly: 'rollup_hourly', daily: byHour ? undefined : 'rollup_daily' };
  if (own.length > 1) return undefined;
  const at = own[0]!;
  const d = by[at]!;
  if (d === 'session') return { hourly: 'rollup_session_hourly', daily: by.every((x) => x === 'session' || x === 'day') ? 'rollup_session_daily' : undefined };
  if (d === 'pool') return { hourly: 'rollup_pool_hourly', daily: byHour ? undefined : 'rollup_pool_daily', partial: at };
  return { hourly: 'rollup_tag_hourly', daily: byHour ? undefined : 'rollup_tag_daily', partial: at };
}

/**
 * Cuts the window into parts, each read from the coarsest tier whose whole periods it spans:
 * `grains` (coarsest first) are the tiers usable; what is left at the edges goes to the next.
 * A part's `table` is only the tier's plain rollup here (rollup_daily, rollup_hourly); the
 * caller swaps in the grouping's own.
 */
function plan(since: number | undefined, until: number | undefined, grains: readonly number[]): Part[] {
  const [grain, ...finer] = grains;
  if (grain === undefined) return [{ table: undefined, since, until }];
  const first = since === undefined ? undefined : Math.ceil(since / grain) * grain;
  const end = until === undefined ? undefined : Math.floor(until / grain) * grain;
  if (first !== undefined && end !== undefined && first >= end) return plan(since, until, finer);
  return [
    ...(since !== undefined && first !== since ? plan(since, first, finer) : []),
    { table: grain === DAY_MS ? 'rollup_daily' : 'rollup_hourly', since: first, until: end },
    ...(until !== undefined && end !== until ? plan(end, until, finer) : []),
  ];
}

async function runPart(run: SqlRunner, d: SqlDialect, q: AggregateQuery, by: readonly Dimension[], part: Part, table: RollupTable | undefined): Promise<AggregateRow[]> {
  const params: unknown[] = [];
  const rows = await run(partSql(d, q, by, part, table, params), params);
  return rows.map((r) => readRow(r, by.length));
}

/**
 * One part's query: keys k0, k1… and the measures (requests, …, cost_q and cost_r: the cost
 * as quotient and remainder of SPLIT), its parameters appended to `params`.
 */
export function partSql(d: SqlDialect, q: AggregateQuery, by: readonly Dimension[], part: Part, table: RollupTable | undefined, params: unknown[]): string {
  const p = (v: unknown) => {
    params.push(v);
    return d.param(params.length);
  };
  const time = table === undefined ? 'ts' : rollupTimeColumn(table);
  const where: string[] = [];
  if (part.since !== undefined) where.push(`${time} >= ${p(part.since)}`);
  if (part.until !== undefined) where.push(`${time} < ${p(part.until)}`);
  const tag = by.find((x) => x.startsWith('tag:'));
  if (tag && (table === 'rollup_tag_hourly' || table === 'rollup_tag_daily')) where.push(`tag_key = ${p(tag.slice(4))}`);
  const dims = by.map((dim) => dimensionExpr(dim, time, d));
  // The daily session rollup has a row per session and day, all a grouping served from it can
  // tell apart: its rows are read as they are (merged above), without a sort of 10⁵ sessions.
  const grouped = dims.length > 0 && table !== 'rollup_session_daily';
  const measures = table === undefined ? rawMeasures(d, q.costOnly, q.countUnpriced) : rollupSums(q.costOnly, grouped || dims.length === 0, q.countUnpriced);
  return (
    `SELECT ${[...dims.map((e, i) => `${e} AS k${i}`), measures].join(', ')} FROM ${table ?? 'requests'}` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    (grouped ? ` GROUP BY ${dims.map((_, i) => `k${i}`).join(', ')}` : '')
  );
}

/** `time` is the part's time column: ts for raw rows, else the rollup's hour or day. */
function dimensionExpr(dim: Dimension, time: string, d: SqlDialect): string {
  const raw = time === 'ts';
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

/** The measures of raw rows, as the columns `readRow` reads (requests, errors, tokens, cost_q and cost_r). */
export function rawMeasures(d: SqlDialect, costOnly = false, countUnpriced = false): string {
  const unpriced = `SUM(CASE WHEN ${d.isTrue('unpriced')} THEN 1 ELSE 0 END) AS unpriced_requests`;
  if (costOnly) return ['COUNT(*) AS requests', ...(countUnpriced ? [unpriced] : []), ...RAW_COST].join(', ');
  return [
    'COUNT(*) AS requests',
    `SUM(CASE WHEN outcome NOT IN ('ok', 'client_aborted') THEN 1 ELSE 0 END) AS errors`,
    unpriced,
    ...['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls'].map((c) => `SUM(${c}) AS ${c}`),
    ...RAW_COST,
  ].join(', ');
}

/** A rollup's measures, summed (or as they are, for rows read one per group). A rollup holds its cost split already (SPLIT is its microdollar). */
function rollupSums(costOnly = false, sum = true, countUnpriced = false): string {
  const m = (c: string, as = c) => (sum ? `SUM(${c}) AS ${as}` : `${c} AS ${as}`);
  const cost = [m('cost_micros', 'cost_q'), m('cost_rest_picos', 'cost_r')];
  const counts = costOnly ? ['requests', ...(countUnpriced ? ['unpriced_requests'] : [])] : ['requests', 'errors', 'unpriced_requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls'];
  return [...counts.map((c) => m(c)), ...cost].join(', ');
}

/** A row of `rawMeasures` or a rollup's sums, its keys k0…k(width-1). */
export function readRow(r: Record<string, unknown>, width: number): AggregateRow {
  const n = (k: string) => Number(r[k] ?? 0);
  const big = (k: string) => BigInt((r[k] as bigint | number | string | null) ?? 0);
  const keys: string[] = [];
  for (let i = 0; i < width; i++) keys.push(scalarText(r[`k${i}`]));
  return {
    keys,
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

function addSigned(into: Totals, t: Totals, sign: 1 | -1): void {
  if (sign === 1) return addTotals(into, t);
  into.requests -= t.requests;
  into.errors -= t.errors;
  into.unpricedRequests -= t.unpricedRequests;
  into.inputTokens -= t.inputTokens;
  into.cacheReadTokens -= t.cacheReadTokens;
  into.cacheWriteTokens -= t.cacheWriteTokens;
  into.cacheWrite1hTokens -= t.cacheWrite1hTokens;
  into.outputTokens -= t.outputTokens;
  into.reasoningTokens -= t.reasoningTokens;
  into.toolCalls -= t.toolCalls;
  into.costPicos -= t.costPicos;
}

function insertAt(keys: string[], index: number, value: string): string[] {
  return [...keys.slice(0, index), value, ...keys.slice(index)];
}

function formatKey(dim: Dimension, value: string): string {
  if (value === '' || (dim !== 'day' && dim !== 'hour')) return value;
  const iso = new Date(Number(value)).toISOString();
  return dim === 'day' ? iso.slice(0, 10) : iso.slice(0, 13) + ':00Z';
}
