import { expect, it } from 'vitest';
import type { Storage } from '../ports.js';
import { sampleRow } from './rows.js';

/** insertNew: the ids of the rows a call inserted, so that spend recorded by several processes is charged once. Call inside a describe(). */
export function insertNewContract(open: () => Promise<Storage>): void {
  it('insertNew returns the ids it inserted, not those already stored, and the rollups count each row once', async () => {
    const s = await open();
    expect(await s.ledger.insertNew([])).toEqual([]);
    expect((await s.ledger.insertNew([sampleRow({ id: 'n1', costPicos: 10n }), sampleRow({ id: 'n2', costPicos: 20n })])).sort()).toEqual(['n1', 'n2']);
    expect(await s.ledger.insertNew([sampleRow({ id: 'n2', costPicos: 20n }), sampleRow({ id: 'n3', costPicos: 40n })])).toEqual(['n3']);
    expect(await s.ledger.insertNew([sampleRow({ id: 'n1', costPicos: 10n })])).toEqual([]);
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 3, costPicos: 70n });
    await s.close();
  });

  it('insertNew at once from two writers: each row is returned to exactly one of them', async () => {
    const s = await open();
    const rows = Array.from({ length: 30 }, (_, i) => sampleRow({ id: `c${i}`, costPicos: 1n }));
    const [a, b] = await Promise.all([s.ledger.insertNew(rows), s.ledger.insertNew(rows.map((r) => ({ ...r })).reverse())]);
    expect([...a, ...b].sort()).toEqual(rows.map((r) => r.id).sort());
    const [total] = await s.ledger.aggregate({ by: [] });
    expect(total).toMatchObject({ requests: 30, costPicos: 30n });
    await s.close();
  });
}
