import type { LedgerRow } from '../core/ledger-row.js';
import { type Totals, addTotals } from './ports.js';
import { HOUR_MS, ROLLUP_DIMENSIONS, type RollupTable, isErrorOutcome } from './schema.js';

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
 * Folds newly inserted rows into rollup deltas, merged per key so that each rollup
 * row is written once per batch. Keys are returned sorted, so that concurrent writers
 * (Postgres replicas) lock rollup rows in the same order and cannot deadlock.
 */
export function rollupDeltas(rows: readonly LedgerRow[]): RollupDelta[] {
  const merged = new Map<string, RollupDelta>();
  const add = (table: RollupTable, key: (string | number)[], t: Totals) => {
    const id = `${table}\u0000${key.join('\u0000')}`;
    const existing = merged.get(id);
    if (existing) addTotals(existing.totals, t);
    else merged.set(id, { table, key, totals: { ...t } });
  };
  for (const r of rows) {
    const t = rowTotals(r);
    const hour = hourOf(r.ts);
    const dims = dimensionValues(r);
    add('rollup_hourly', [hour, ...dims], t);
    add('rollup_session_hourly', [hour, r.sessionId ?? '', ...dims], t);
    for (const [k, v] of Object.entries(r.tags)) add('rollup_tag_hourly', [hour, k, v, ...dims], t);
    if (r.pool) add('rollup_pool_hourly', [hour, r.pool, ...dims], t);
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
}

/** A delta's measures in ROLLUP_MEASURES order. */
export function measureValues(t: Totals): (number | bigint)[] {
  return [t.requests, t.errors, t.unpricedRequests, t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.cacheWrite1hTokens, t.outputTokens, t.reasoningTokens, t.toolCalls, t.costPicos];
}
