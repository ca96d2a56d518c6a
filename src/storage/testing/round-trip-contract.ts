import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Storage } from '../ports.js';
import { storableRow } from '../storable.js';
import { ledgerRow } from './row-arbitrary.js';
import { sampleRow } from './rows.js';

/** Any row is stored and read back as storage keeps it. Part of storageContract. */
export function roundTripContract(open: () => Promise<Storage>): void {
  it('stores any row and reads it back exactly, U+0000 kept as U+FFFD, money to the picodollar', async () => {
    const s = await open();
    let batch = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(ledgerRow, { minLength: 1, maxLength: 20 }), async (rows) => {
          batch++;
          // Each row its own call: what would make two rows one request (cross-source.ts) made unique.
          const unique = rows.map((r, i) => {
            const tag = `rt${batch}.${i}.`;
            return { ...r, id: tag + r.id, upstreamRequestId: r.upstreamRequestId && tag + r.upstreamRequestId, sessionId: r.sessionId === null ? null : tag + r.sessionId };
          });
          expect(await s.ledger.insert(unique)).toBe(unique.length);
          for (const r of unique) {
            const kept = storableRow(r);
            expect(await s.ledger.get(kept.id)).toEqual(kept);
          }
        }),
        { seed: 20261205, numRuns: 30 },
      );
    } finally {
      await s.close();
    }
  });

  it('reads tags back with their names sorted, whatever order they were sent in (exports match across stores)', async () => {
    const s = await open();
    try {
      const row = { ...sampleRow({ id: 'rt-tag-order' }), tags: { zeta: '1', workflow: 'review', a: '2', env: 'prod' } };
      await s.ledger.insert([row]);
      expect(JSON.stringify((await s.ledger.get(row.id))!.tags)).toBe('{"a":"2","env":"prod","workflow":"review","zeta":"1"}');
    } finally {
      await s.close();
    }
  });
}
