import { benchRow } from '../../bench/reports.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { rng } from '../../src/storage/testing/rows.js';

/**
 * The benchmarks' generator, varied so that every rollup measure and table gets values: errors,
 * unpriced rows, pools, rows without a session (the fast seeders' tests compare against the insert path).
 */
export function variedRow(i: number, total: number): LedgerRow {
  const r = rng(i);
  const base = benchRow(i, total, r);
  const failed = r() < 0.1;
  const unpriced = r() < 0.05;
  return {
    ...base,
    outcome: failed ? (r() < 0.5 ? 'upstream_error' : 'client_aborted') : 'ok',
    status: failed ? 502 : 200,
    unpriced,
    costPicos: unpriced ? null : base.costPicos,
    cacheWriteTokens: Math.floor(r() * 1000),
    cacheWrite1hTokens: Math.floor(r() * 100),
    reasoningTokens: Math.floor(r() * 500),
    toolCalls: Math.floor(r() * 3),
    pool: r() < 0.3 ? `pool${i % 3}` : r() < 0.1 ? '' : null,
    sessionId: r() < 0.1 ? null : base.sessionId,
    client: r() < 0.2 ? null : 'claude-code',
    tags: r() < 0.3 ? { ...base.tags, prompt_version: `v${i % 4}` } : base.tags,
    upstreamRequestId: `up${i}`,
  };
}
