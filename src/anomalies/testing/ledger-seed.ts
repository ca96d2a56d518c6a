import type { LedgerRow } from '../../core/ledger-row.js';
import { rng, sampleRow } from '../../storage/testing/contract.js';

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
