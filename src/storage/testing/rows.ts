import type { Dimension, LedgerRow } from '../../core/ledger-row.js';
import { type AggregateRow, type TopShare, type Totals, addTotals, emptyTotals } from '../ports.js';
import { rowTotals } from '../rollup.js';
import { DAY_MS, HOUR_MS } from '../schema.js';

// Sample ledger rows and the reference answers (groupings of raw rows in memory) that tests and benchmarks compare against.

/** A deterministic pseudo-random generator, so that failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleRow(overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id: overrides.id ?? crypto.randomUUID(),
    ts: Date.UTC(2026, 10, 20, 12, 0, 0),
    api: 'openai.chat',
    provider: 'openai',
    model: 'gpt-5',
    modelRequested: 'gpt-5',
    keyId: 'key_1',
    user: 'alice',
    team: 'platform',
    project: 'tollgate',
    sessionId: 's1',
    client: 'openai-sdk',
    tags: {},
    stream: false,
    status: 200,
    outcome: 'ok',
    errorType: null,
    inputTokens: 1000,
    cacheReadTokens: 200,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 100,
    reasoningTokens: 10,
    toolCalls: 0,
    latencyMs: 120,
    ttftMs: null,
    costPicos: 2_025_000_000n,
    usageSource: 'final',
    unpriced: false,
    attempts: 1,
    upstreamRequestId: 'req_x',
    source: 'gateway',
    pool: null,
    routeRule: null,
    routeMode: null,
    routeSavingPicos: null,
    lastTurnHash: null,
    ...overrides,
  };
}

export function randomRows(n: number, seed: number): LedgerRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const start = Date.UTC(2026, 10, 18, 0, 0, 0);
  return Array.from({ length: n }, (_, i) =>
    sampleRow({
      id: `row-${seed}-${i}`,
      ts: start + Math.floor(r() * 3 * DAY_MS),
      user: pick(['alice', 'bob', 'carol', null]),
      team: pick(['platform', 'data']),
      model: pick(['gpt-5', 'claude-sonnet-4-5', 'gemini-2.5-pro']),
      provider: pick(['openai', 'anthropic']),
      sessionId: pick(['s1', 's2', 's3', null]),
      pool: pick(['platform-pool', 'org-pool', null, null]),
      tags: pick<Record<string, string>>([{}, { workflow: 'review' }, { workflow: 'nightly', prompt_version: 'v7' }, { prompt_version: 'v8' }]),
      outcome: pick(['ok', 'ok', 'ok', 'upstream_error', 'client_aborted']),
      inputTokens: Math.floor(r() * 100000),
      cacheReadTokens: Math.floor(r() * 1000),
      outputTokens: Math.floor(r() * 5000),
      costPicos: r() < 0.1 ? null : BigInt(Math.floor(r() * 1e12)),
      unpriced: false,
    }),
  ).map((row) => ({ ...row, unpriced: row.costPicos === null }));
}

/** The reference answer: group raw rows in memory. */
export function bruteForce(rows: LedgerRow[], by: readonly Dimension[], since?: number, until?: number): Map<string, Totals> {
  const key = (row: LedgerRow) =>
    by
      .map((d) => {
        if (d === 'day') return new Date(Math.floor(row.ts / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
        if (d === 'hour') return new Date(Math.floor(row.ts / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13) + ':00Z';
        if (d.startsWith('tag:')) return row.tags[d.slice(4)] ?? '';
        const plain: Record<string, string | null> = { user: row.user, team: row.team, project: row.project, model: row.model, provider: row.provider, client: row.client, session: row.sessionId, api: row.api, key: row.keyId, pool: row.pool };
        return plain[d] ?? '';
      })
      .join('|');
  const out = new Map<string, Totals>();
  for (const row of rows) {
    if (since !== undefined && row.ts < since) continue;
    if (until !== undefined && row.ts >= until) continue;
    const k = key(row);
    const t = out.get(k) ?? emptyTotals();
    addTotals(t, rowTotals(row));
    out.set(k, t);
  }
  return out;
}

export function asMap(rows: AggregateRow[]): Map<string, Totals> {
  return new Map(rows.map(({ keys, ...t }) => [keys.join('|'), t]));
}

/** The reference concentration: the groups of one dimension from raw rows, those without a value left out, sorted by cost in memory. */
export function bruteTopShare(rows: LedgerRow[], by: Dimension, since?: number, until?: number): TopShare {
  const costs = [...bruteForce(rows, [by], since, until)].filter(([k]) => k !== '').map(([, t]) => t.costPicos);
  costs.sort((a, b) => (b > a ? 1 : b < a ? -1 : 0));
  const top = costs.length === 0 ? 0 : Math.max(1, Math.ceil(costs.length / 10));
  const sum = (xs: bigint[]) => xs.reduce((a, c) => a + c, 0n);
  return { groups: costs.length, top, topCostPicos: sum(costs.slice(0, top)), costPicos: sum(costs) };
}
