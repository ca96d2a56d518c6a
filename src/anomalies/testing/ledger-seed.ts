import type { LedgerRow } from '../../core/ledger-row.js';
import { rng, sampleRow } from '../../storage/testing/rows.js';

const CENT = 10_000_000_000n;

/**
 * Ledger rows for end-to-end detector tests: steady traffic from alice and bob (about 12
 * requests an hour each, 40 to 60 cents apiece) from `since` to `until`.
 */
export function baselineRows(since: number, until: number, seed = 1): LedgerRow[] {
  const r = rng(seed);
  const rows: LedgerRow[] = [];
  for (const user of ['alice', 'bob']) {
    for (let t = since + Math.floor(r() * 300_000); t < until; t += 150_000 + Math.floor(r() * 300_000)) {
      rows.push(sampleRow({ id: `base-${user}-${t}`, ts: t, user, team: 'platform', sessionId: `${user}-${Math.floor(t / 3_600_000)}`, keyId: `key_${user}`, tags: { workflow: 'review' }, costPicos: (40n + BigInt(Math.floor(r() * 20))) * CENT }));
    }
  }
  return rows;
}

/** A planted spike: `user` sends a $2 request every 15 seconds from `since` to `until` (about 100× their usual spend). */
export function spikeRows(user: string, since: number, until: number): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (let t = since; t < until; t += 15_000) rows.push(sampleRow({ id: `spike-${user}-${t}`, ts: t, user, team: 'platform', sessionId: `${user}-spike`, keyId: `key_${user}`, tags: { workflow: 'review' }, costPicos: 200n * CENT }));
  return rows;
}

/**
 * One of each anomaly from `t0` (a minute or so in), over baseline traffic: alice's spike
 * (spend spike, and a runaway session), bob's agent loop, a storming key, and the
 * `nightly` workflow, which read 80% of its input from cache all week, reading none.
 */
export function plantedRows(t0: number): LedgerRow[] {
  const rows = spikeRows('alice', t0, t0 + 20 * 60_000);
  for (let k = 0; k < 7; k++) {
    rows.push(sampleRow({ id: `loop-${k}`, ts: t0 + 60_000 + k * 40_000, user: 'bob', team: 'platform', sessionId: 'bob-loop', keyId: 'key_bob', lastTurnHash: 'a1b2c3d4e5f60718', inputTokens: 5000 + 3000 * k, toolCalls: 1, costPicos: 10n * CENT }));
  }
  for (let k = 0; k < 60; k++) {
    rows.push(sampleRow({ id: `storm-${k}`, ts: t0 + 180_000 + k * 4000, user: 'carol', keyId: 'key_storm', sessionId: null, status: 429, outcome: 'upstream_error', attempts: 2, inputTokens: 0, outputTokens: 0, costPicos: 0n }));
  }
  for (let t = t0 - 8 * 86_400_000; t < t0; t += 3_600_000) {
    rows.push(sampleRow({ id: `nightly-${t}`, ts: t, user: 'dave', keyId: 'key_dave', sessionId: null, tags: { workflow: 'nightly' }, inputTokens: 20_000, cacheReadTokens: 16_000, costPicos: 5n * CENT }));
  }
  for (let k = 0; k < 40; k++) {
    rows.push(sampleRow({ id: `nightly-cold-${k}`, ts: t0 + k * 15_000, user: 'dave', keyId: 'key_dave', sessionId: null, tags: { workflow: 'nightly' }, inputTokens: 20_000, cacheReadTokens: 0, costPicos: 5n * CENT }));
  }
  return rows;
}
