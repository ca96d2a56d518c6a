import type { LedgerRow } from '../core/ledger-row.js';
import { type Totals, addTotals } from './ports.js';
import { HOUR_MS, ROLLUP_DIMENSIONS, type RollupTable, isErrorOutcome, rowValues } from './schema.js';

/** One rollup row to add: its key values (hour first, then extra keys, then dimensions) and its totals. */
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

function dimensionValues(r: LedgerRow): string[] {
  const byColumn: Record<(typeof ROLLUP_DIMENSIONS)[number], string | null> = {
    api: r.api,
    provider: r.provider,
    model: r.model,
    key_id: r.keyId,
    user_name: r.user,
    team: r.team,
    project: r.project,
    client: r.client,
  };
  return ROLLUP_DIMENSIONS.map((c) => byColumn[c] ?? '');
}

export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/**
 * Folds newly inserted rows (and, subtracted, rows removed or replaced) into rollup
 * deltas, merged per key so that each rollup row is written once per batch. Keys are returned sorted, so that concurrent writers
 * (Postgres replicas) lock rollup rows in the same order and cannot deadlock.
 */
export function rollupDeltas(rows: readonly LedgerRow[], removed: readonly LedgerRow[] = []): RollupDelta[] {
  const merged = new Map<string, RollupDelta>();
  const add = (table: RollupTable, key: (string | number)[], t: Totals) => {
    const id = `${table}\u0000${key.join('\u0000')}`;
    const existing = merged.get(id);
    if (existing) addTotals(existing.totals, t);
    else merged.set(id, { table, key, totals: { ...t } });
  };
  const all = [...rows.map((r) => [r, rowTotals(r)] as const), ...removed.map((r) => [r, negated(rowTotals(r))] as const)];
  for (const [r, t] of all) {
    const hour = hourOf(r.ts);
    const dims = dimensionValues(r);
    add('rollup_hourly', [hour, ...dims], t);
    add('rollup_session_hourly', [hour, r.sessionId ?? '', ...dims], t);
    for (const [k, v] of Object.entries(r.tags)) add('rollup_tag_hourly', [hour, k, v, ...dims], t);
    if (r.pool) add('rollup_pool_hourly', [hour, r.pool, ...dims], t);
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
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

/** A delta's measures in ROLLUP_MEASURES order. */
export function measureValues(t: Totals): (number | bigint)[] {
  return [t.requests, t.errors, t.unpricedRequests, t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.cacheWrite1hTokens, t.outputTokens, t.reasoningTokens, t.toolCalls, t.costPicos];
}

/**
 * A predicate telling whether a row repeats a request already recorded by another source
 * (same non-null upstream request id, different `source`), in the store (`stored`) or
 * earlier in the same batch. Rows it accepts are remembered for the rest of the batch.
 */
export function crossSourceCheck(stored: (upstreamId: string, source: string) => boolean): (r: LedgerRow) => boolean {
  const batch = new Map<string, string>();
  return (r) => {
    const up = r.upstreamRequestId;
    if (up === null) return false;
    const before = batch.get(up);
    if (before !== undefined ? before !== r.source : stored(up, r.source)) return true;
    batch.set(up, r.source);
    return false;
  };
}

/** Whether two rows hold the same values (a replacement that changes nothing is skipped). */
export function sameRow(a: LedgerRow, b: LedgerRow): boolean {
  const x = rowValues(a, (v) => v);
  const y = rowValues(b, (v) => v);
  return x.every((v, i) => v === y[i]);
}
