import type { LedgerRow } from '../core/ledger-row.js';
import { type Totals, addTotals } from './ports.js';
import { DAY_MS, HOUR_MS, MICRO_PICOS, ROLLUP_DIMENSIONS, type RollupTable, hasSpan, isErrorOutcome, rowValues } from './schema.js';

/** One rollup row to add: its key values (hour or day first, then extra keys, then dimensions) and its totals. */
export interface RollupDelta {
  table: RollupTable;
  key: (string | number)[];
  totals: Totals;
  /** The hourly session rollup's: the first and last `ts` of the rows added (none when only rows were taken away). */
  first?: number;
  last?: number;
}

export function rowTotals(r: LedgerRow): Totals {
  return {
    requests: 1,
    errors: isErrorOutcome(r.outcome) ? 1 : 0,
    unpricedRequests: r.unpriced ? 1 : 0,
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    cacheWrite1hTokens: r.cacheWrite1hTokens,
    outputTokens: r.outputTokens,
    reasoningTokens: r.reasoningTokens,
    toolCalls: r.toolCalls,
    costPicos: r.costPicos ?? 0n,
  };
}

const DIMENSION_OF: Record<(typeof ROLLUP_DIMENSIONS)[number], (r: LedgerRow) => string | null> = {
  api: (r) => r.api,
  provider: (r) => r.provider,
  model: (r) => r.model,
  key_id: (r) => r.keyId,
  user_name: (r) => r.user,
  team: (r) => r.team,
  project: (r) => r.project,
  client: (r) => r.client,
};
const DIMENSION_GETTERS = ROLLUP_DIMENSIONS.map((c) => DIMENSION_OF[c]);

export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/** Each hourly rollup's daily counterpart. */
const DAILY_OF = {
  rollup_hourly: 'rollup_daily',
  rollup_session_hourly: 'rollup_session_daily',
  rollup_tag_hourly: 'rollup_tag_daily',
  rollup_pool_hourly: 'rollup_pool_daily',
} as const satisfies Partial<Record<RollupTable, RollupTable>>;

type HourlyTable = keyof typeof DAILY_OF;

/**
 * Folds newly inserted rows (and, subtracted, rows removed or replaced) into rollup
 * deltas, hourly and daily, merged per key so that each rollup row is written once per
 * batch. Keys are returned sorted, so that concurrent writers (Postgres replicas) lock
 * rollup rows in the same order and cannot deadlock.
 */
export function rollupDeltas(rows: readonly LedgerRow[], removed: readonly LedgerRow[] = []): RollupDelta[] {
  // Per hourly table, keyed by the joined dimensions, then the extra key (session, tag or
  // pool; '' for none), then the hour: no key string is built per row, and the strings
  // looked up repeat from row to row (consecutive rows mostly share their dimensions), so
  // V8 hashes each once. A row's measures are added in place.
  type ByHour = Map<number, RollupDelta>;
  type ByExtra = Map<string, ByHour>;
  const tables = new Map<HourlyTable, Map<string, ByExtra>>();
  const hourly: RollupDelta[] = [];
  let dims: string[] = [];
  let joined: string | undefined;
  // Each table's last delta: consecutive rows mostly share their session, dimensions and
  // hour, so most rows skip the four lookups (and the last delta is the one they would find).
  const last = new Map<HourlyTable, { joined: string; extraKey: string; hour: number; d: RollupDelta }>();
  const add = (table: HourlyTable, extraKey: string, extra: readonly string[], hour: number, r: LedgerRow, sign: 1 | -1): RollupDelta => {
    const hit = last.get(table);
    if (hit !== undefined && hit.hour === hour && hit.joined === joined && hit.extraKey === extraKey) {
      addRow(hit.d.totals, r, sign);
      return hit.d;
    }
    const d = addToKey(table, extraKey, extra, hour, r, sign);
    last.set(table, { joined: joined!, extraKey, hour, d });
    return d;
  };
  /** Adds the row to its key's delta, made if new; returns the delta. */
  const addToKey = (table: HourlyTable, extraKey: string, extra: readonly string[], hour: number, r: LedgerRow, sign: 1 | -1): RollupDelta => {
    let byDims = tables.get(table);
    if (!byDims) tables.set(table, (byDims = new Map<string, ByExtra>()));
    let byExtra = byDims.get(joined!);
    if (!byExtra) byDims.set(joined!, (byExtra = new Map<string, ByHour>()));
    let byHour = byExtra.get(extraKey);
    if (!byHour) byExtra.set(extraKey, (byHour = new Map<number, RollupDelta>()));
    const existing = byHour.get(hour);
    if (existing) {
      addRow(existing.totals, r, sign);
      return existing;
    }
    const d: RollupDelta = { table, key: [hour, ...extra, ...dims], totals: sign === 1 ? rowTotals(r) : negated(rowTotals(r)) };
    byHour.set(hour, d);
    hourly.push(d);
    return d;
  };
  const fold = (r: LedgerRow, sign: 1 | -1) => {
    const hour = hourOf(r.ts);
    let same = joined !== undefined;
    for (let i = 0; same && i < DIMENSION_GETTERS.length; i++) same = (DIMENSION_GETTERS[i]!(r) ?? '') === dims[i];
    if (!same) {
      dims = DIMENSION_GETTERS.map((get) => get(r) ?? '');
      joined = dims.join('\u0000');
    }
    add('rollup_hourly', '', [], hour, r, sign);
    const session = r.sessionId ?? '';
    const s = add('rollup_session_hourly', session, [session], hour, r, sign);
    // A removed row does not narrow the span (see rollupUpsertSql).
    if (sign === 1) {
      if (s.first === undefined || r.ts < s.first) s.first = r.ts;
      if (s.last === undefined || r.ts > s.last) s.last = r.ts;
    }
    for (const k in r.tags) {
      const v = r.tags[k]!;
      add('rollup_tag_hourly', `${k}\u0000${v}`, [k, v], hour, r, sign);
    }
    const pool = r.pool;
    if (pool) add('rollup_pool_hourly', pool, [pool], hour, r, sign);
  };
  for (const r of rows) fold(r, 1);
  for (const r of removed) fold(r, -1);
  const merged = new Map<string, RollupDelta>();
  for (const h of hourly) merged.set(`${h.table}\u0000${h.key.join('\u0000')}`, h);
  // The daily deltas are the hourly ones summed per day: a batch has far fewer of those than rows.
  for (const h of hourly) {
    const table = DAILY_OF[h.table as HourlyTable];
    const day = Math.floor(Number(h.key[0]) / DAY_MS) * DAY_MS;
    const key = table === 'rollup_session_daily' ? [day, h.key[1]!] : [day, ...h.key.slice(1)];
    const id = `${table}\u0000${key.join('\u0000')}`;
    const existing = merged.get(id);
    if (existing) addTotals(existing.totals, h.totals);
    else merged.set(id, { table, key, totals: { ...h.totals } });
  }
  // Not `([a], [b]) =>`: destructuring runs the array iterator, slow in code run once.
  return [...merged.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
}

/** Adds (sign 1) or subtracts (sign -1) one row's measures. */
function addRow(t: Totals, r: LedgerRow, sign: 1 | -1): void {
  t.requests += sign;
  if (isErrorOutcome(r.outcome)) t.errors += sign;
  if (r.unpriced) t.unpricedRequests += sign;
  t.inputTokens += sign * r.inputTokens;
  t.cacheReadTokens += sign * r.cacheReadTokens;
  t.cacheWriteTokens += sign * r.cacheWriteTokens;
  t.cacheWrite1hTokens += sign * r.cacheWrite1hTokens;
  t.outputTokens += sign * r.outputTokens;
  t.reasoningTokens += sign * r.reasoningTokens;
  t.toolCalls += sign * r.toolCalls;
  if (r.costPicos !== null) t.costPicos += sign === 1 ? r.costPicos : 0n - r.costPicos;
}

// 0 - x, not -x: a negated 0 would be -0, which a driver may bind as a REAL.
function negated(t: Totals): Totals {
  const n = (x: number) => 0 - x;
  return {
    requests: n(t.requests),
    errors: n(t.errors),
    unpricedRequests: n(t.unpricedRequests),
    inputTokens: n(t.inputTokens),
    cacheReadTokens: n(t.cacheReadTokens),
    cacheWriteTokens: n(t.cacheWriteTokens),
    cacheWrite1hTokens: n(t.cacheWrite1hTokens),
    outputTokens: n(t.outputTokens),
    reasoningTokens: n(t.reasoningTokens),
    toolCalls: n(t.toolCalls),
    costPicos: 0n - t.costPicos,
  };
}

/** A delta's measures in the order of the rollups' measure columns (ROLLUP_MEASURES). */
export function measureValues(t: Totals): (number | bigint)[] {
  // BigInt division truncates, so quotient × 10⁶ + rest is the cost for either sign.
  return [t.requests, t.errors, t.unpricedRequests, t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.cacheWrite1hTokens, t.outputTokens, t.reasoningTokens, t.toolCalls, t.costPicos / MICRO_PICOS, t.costPicos % MICRO_PICOS];
}

/** What a rollup UPSERT (rollupUpsertSql) binds for a delta: its key, its measures, and its span where the table keeps one. */
export function rollupValues(d: RollupDelta): unknown[] {
  const v: unknown[] = [...d.key, ...measureValues(d.totals)];
  if (hasSpan(d.table)) v.push(d.first ?? null, d.last ?? null);
  return v;
}

/** Whether two rows hold the same values (a replacement that changes nothing is skipped). */
export function sameRow(a: LedgerRow, b: LedgerRow): boolean {
  const x = rowValues(a, (v) => v);
  const y = rowValues(b, (v) => v);
  return x.every((v, i) => v === y[i]);
}
