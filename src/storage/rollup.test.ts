import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Totals, addTotals, emptyTotals } from './ports.js';
import { rollupDeltas, rowTotals } from './rollup.js';
import { DAY_MS, HOUR_MS } from './schema.js';
import { rng, sampleRow } from './testing/rows.js';

/**
 * The plain definition: per table and key, the sum of the added rows' totals minus the removed
 * rows'; the hourly session rollup's keys also the first and last ts of the added rows.
 */
function reference(rows: readonly LedgerRow[], removed: readonly LedgerRow[]) {
  const sums = new Map<string, { table: string; key: (string | number)[]; totals: Totals; first?: number; last?: number }>();
  const put = (table: string, key: (string | number)[], t: Totals, spanOf?: number) => {
    const id = [table, ...key].join('\u0000');
    const e = sums.get(id) ?? { table, key, totals: emptyTotals() };
    addTotals(e.totals, t);
    if (spanOf !== undefined) {
      e.first = Math.min(e.first ?? spanOf, spanOf);
      e.last = Math.max(e.last ?? spanOf, spanOf);
    }
    sums.set(id, e);
  };
  const minus = (t: Totals): Totals => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'bigint' ? 0n - v : 0 - v])) as unknown as Totals;
  for (const [r, t, added] of [...rows.map((r) => [r, rowTotals(r), true] as const), ...removed.map((r) => [r, minus(rowTotals(r)), false] as const)]) {
    const hour = Math.floor(r.ts / HOUR_MS) * HOUR_MS;
    const dims = [r.api, r.provider, r.model, r.keyId ?? '', r.user ?? '', r.team ?? '', r.project ?? '', r.client ?? ''];
    const day = Math.floor(r.ts / DAY_MS) * DAY_MS;
    put('rollup_hourly', [hour, ...dims], t);
    put('rollup_daily', [day, ...dims], t);
    put('rollup_session_hourly', [hour, r.sessionId ?? '', ...dims], t, added ? r.ts : undefined);
    put('rollup_session_daily', [day, r.sessionId ?? ''], t);
    for (const [k, v] of Object.entries(r.tags)) {
      put('rollup_tag_hourly', [hour, k, v, ...dims], t);
      put('rollup_tag_daily', [day, k, v, ...dims], t);
    }
    if (r.pool) {
      put('rollup_pool_hourly', [hour, r.pool, ...dims], t);
      put('rollup_pool_daily', [day, r.pool, ...dims], t);
    }
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

function randomRows(seed: number, n: number): LedgerRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () =>
    sampleRow({
      ts: Date.UTC(2026, 10, 20, 21) + Math.floor(r() * 6 * HOUR_MS),
      model: pick(['gpt-5', 'gpt-5-mini']),
      user: pick(['alice', 'bob', null]),
      sessionId: pick(['s1', 's2', null]),
      tags: pick<Record<string, string>>([{}, { team: 'a' }, { team: 'b', env: 'prod' }]),
      pool: pick([null, 'shared']),
      outcome: pick(['ok', 'ok', 'upstream_error', 'client_aborted'] as const),
      unpriced: r() < 0.2,
      costPicos: r() < 0.2 ? null : BigInt(Math.floor(r() * 1e9)),
      inputTokens: Math.floor(r() * 1000),
      outputTokens: pick([0, 7, 300]),
      toolCalls: pick([0, 1]),
    }),
  );
}

describe('rollup deltas', () => {
  it('equal the per-key sums of added rows minus removed rows, in key order, never -0', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rows = randomRows(seed, 60);
      const removed = randomRows(seed + 100, seed % 3 === 0 ? 0 : 25);
      const got = rollupDeltas(rows, removed);
      expect(got).toEqual(reference(rows, removed));
      for (const d of got) for (const v of Object.values(d.totals)) expect(Object.is(v, -0)).toBe(false);
    }
  });

  it('cancel out when the same rows are added and removed', () => {
    const rows = randomRows(7, 40);
    for (const d of rollupDeltas(rows, rows)) expect(d.totals).toEqual(emptyTotals());
  });
});
