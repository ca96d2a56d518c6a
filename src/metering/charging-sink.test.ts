import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import { chargingSink } from './charging-sink.js';

/** A ledger that keeps rows by id and counts the charges queued with the rows it inserted. */
function ledger() {
  const rows = new Map<string, LedgerRow>();
  const charged: string[] = [];
  const put = (list: readonly LedgerRow[], charge: boolean) => {
    const fresh = list.filter((r) => !rows.has(r.id));
    for (const r of fresh) rows.set(r.id, r);
    if (charge) charged.push(...fresh.map((r) => r.id));
    return Promise.resolve(fresh.length);
  };
  return { rows, charged, insert: (l: readonly LedgerRow[]) => put(l, false), insertCharged: (l: readonly LedgerRow[]) => put(l, true), ping: () => Promise.resolve() };
}

describe('chargingSink', () => {
  it('charges the rows the gateway did not serve, once, and never its own', async () => {
    const l = ledger();
    const sink = chargingSink(l);
    const batch = [sampleRow({ id: 'g1' }), sampleRow({ id: 'o1', source: 'claude-code-otel' }), sampleRow({ id: 'g2' }), sampleRow({ id: 'o2', source: 'otel-genai' })];
    expect(await sink.insert(batch)).toBe(4);
    // The writer retries a batch whose commit it could not confirm: nothing is inserted or charged twice.
    expect(await sink.insert(batch)).toBe(0);
    expect([...l.rows.keys()].sort()).toEqual(['g1', 'g2', 'o1', 'o2']);
    expect(l.charged.sort()).toEqual(['o1', 'o2']);
  });

  it('inserts a batch of the gateway s own rows in one call, uncharged', async () => {
    const l = ledger();
    let calls = 0;
    const sink = chargingSink({ ...l, insert: (rows) => (calls++, l.insert(rows)) });
    expect(await sink.insert([sampleRow({ id: 'g1' }), sampleRow({ id: 'g2' })])).toBe(2);
    expect(calls).toBe(1);
    expect(l.charged).toEqual([]);
  });
});
