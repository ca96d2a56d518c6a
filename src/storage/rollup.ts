import type { LedgerRow } from '../core/ledger-row.js';
import { type Totals, addTotals } from './ports.js';
import { DAY_MS, HOUR_MS, MICRO_PICOS, ROLLUP_DIMENSIONS, type RollupTable, isDaily, isErrorOutcome, rowValues } from './schema.js';
import { GATEWAY_SOURCE, looksUpResponse } from './response-match.js';

/** One rollup row to add: its key values (hour or day first, then extra keys, then dimensions) and its totals. */
export interface RollupDelta {
  table: RollupTable;
  key: (string | number)[];
  totals: Totals;
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

function dimensionValues(r: LedgerRow): string[] {
  return DIMENSION_GETTERS.map((get) => get(r) ?? '');
}

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

/**
 * Folds newly inserted rows (and, subtracted, rows removed or replaced) into rollup
 * deltas, hourly and daily, merged per key so that each rollup row is written once per
 * batch. Keys are returned sorted, so that concurrent writers (Postgres replicas) lock
 * rollup rows in the same order and cannot deadlock.
 */
export function rollupDeltas(rows: readonly LedgerRow[], removed: readonly LedgerRow[] = []): RollupDelta[] {
  // Keyed by table and key values joined; a row's measures are added in place (no Totals
  // object per row and table: this ran once per gateway batch and per imported row).
  const merged = new Map<string, RollupDelta>();
  // The key array is built only for a key not seen yet (most rows fall into an existing one).
  const add = (id: string, table: RollupTable, hour: number, extra: readonly string[], dims: readonly string[], r: LedgerRow, sign: 1 | -1) => {
    const existing = merged.get(id);
    if (existing) addRow(existing.totals, r, sign);
    else merged.set(id, { table, key: [hour, ...extra, ...dims], totals: sign === 1 ? rowTotals(r) : negated(rowTotals(r)) });
  };
  const fold = (r: LedgerRow, sign: 1 | -1) => {
    const hour = hourOf(r.ts);
    const dims = dimensionValues(r);
    const joined = dims.join('\u0000');
    add(`rollup_hourly\u0000${hour}\u0000${joined}`, 'rollup_hourly', hour, [], dims, r, sign);
    const session = r.sessionId ?? '';
    add(`rollup_session_hourly\u0000${hour}\u0000${session}\u0000${joined}`, 'rollup_session_hourly', hour, [session], dims, r, sign);
    for (const k in r.tags) {
      const v = r.tags[k]!;
      add(`rollup_tag_hourly\u0000${hour}\u0000${k}\u0000${v}\u0000${joined}`, 'rollup_tag_hourly', hour, [k, v], dims, r, sign);
    }
    const pool = r.pool;
    if (pool) add(`rollup_pool_hourly\u0000${hour}\u0000${pool}\u0000${joined}`, 'rollup_pool_hourly', hour, [pool], dims, r, sign);
  };
  for (const r of rows) fold(r, 1);
  for (const r of removed) fold(r, -1);
  const hourly = [...merged.values()];
  // The daily deltas are the hourly ones summed per day: a batch has far fewer of those than rows.
  for (const h of hourly) {
    const table = DAILY_OF[h.table as keyof typeof DAILY_OF];
    const day = Math.floor(Number(h.key[0]) / DAY_MS) * DAY_MS;
    const key = table === 'rollup_session_daily' ? [day, h.key[1]!] : [day, ...h.key.slice(1)];
    const id = `${table}\u0000${key.join('\u0000')}`;
    const existing = merged.get(id);
    if (existing) addTotals(existing.totals, h.totals);
    else merged.set(id, { table, key, totals: { ...h.totals } });
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
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

/** A delta's measures in the order of its table's measure columns (see rollupMeasures). */
export function measureValues(t: Totals, table: RollupTable): (number | bigint)[] {
  const head = [t.requests, t.errors, t.unpricedRequests, t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.cacheWrite1hTokens, t.outputTokens, t.reasoningTokens, t.toolCalls];
  // BigInt division truncates, so quotient × 10⁶ + rest is the cost for either sign.
  return isDaily(table) ? [...head, t.costPicos / MICRO_PICOS, t.costPicos % MICRO_PICOS] : [...head, t.costPicos];
}

/**
 * A predicate telling whether a row repeats a request already recorded by another source:
 * the same non-null upstream request id, in the store (`stored`) or earlier in the same batch;
 * or, for a row that is not the gateway's, the same response id as a row of another source,
 * in the store (`storedResponse`, asked only of such rows) or anywhere in the batch (the
 * gateway's rows first: its row of a call is the one kept). Rows it accepts are remembered
 * for the rest of the batch. `rows` is the batch.
 */
export function crossSourceCheck(
  stored: (upstreamId: string, source: string) => boolean,
  rows: readonly LedgerRow[] = [],
  storedResponse: (responseId: string, source: string) => boolean = () => false,
): (r: LedgerRow) => boolean {
  const batch = new Map<string, string>();
  const responses = new Map<string, string>();
  for (const r of rows) if (r.source === GATEWAY_SOURCE && r.responseId) responses.set(r.responseId, r.source);
  return (r) => {
    const up = r.upstreamRequestId;
    const before = up === null ? undefined : batch.get(up);
    if (up !== null && (before !== undefined ? before !== r.source : stored(up, r.source))) return true;
    if (looksUpResponse(r)) {
      const first = responses.get(r.responseId);
      if (first !== undefined ? first !== r.source : storedResponse(r.responseId, r.source)) return true;
      responses.set(r.responseId, r.source);
    }
    if (up !== null) batch.set(up, r.source);
    return false;
  };
}

/** Whether two rows hold the same values (a replacement that changes nothing is skipped). */
export function sameRow(a: LedgerRow, b: LedgerRow): boolean {
  const x = rowValues(a, (v) => v);
  const y = rowValues(b, (v) => v);
  return x.every((v, i) => v === y[i]);
}
