import { expect, it } from 'vitest';
import type { Dimension, LedgerRow } from '../../core/ledger-row.js';
import type { Storage } from '../ports.js';
import { DAY_MS, HOUR_MS } from '../schema.js';
import { bruteTopShare, randomRows, rng, sampleRow } from './rows.js';

/** The concentration line ranked by the database equals the ranking of raw rows in memory. Call inside a describe(). */
export function topShareContract(open: () => Promise<Storage>): void {
  it('ranks the top 10% of sessions and workflows like a sort of raw rows, for any window, after replacements and removals', async () => {
    const s = await open();
    const r = rng(2024);
    const start = Date.UTC(2026, 10, 10);
    // 61 sessions (so that the top is ⌈61/10⌉ = 7), rows without a session or with an empty
    // one, costs from a short list so that sessions tie, a few above a microdollar's remainder.
    const costs = [null, 0n, 1n, 999_999n, 1_000_000n, 1_000_001n, 2_500_000_000n, 7_000_000_123_456n];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    let rows: LedgerRow[] = randomRows(900, 33).map((row) => {
      const session = r() < 0.1 ? pick([null, '']) : `s${Math.floor(r() * 61)}`;
      const costPicos = pick(costs);
      const workflow = pick(['review', 'nightly', 'triage', '', undefined]);
      return { ...row, ts: start + Math.floor(r() * 6 * DAY_MS), sessionId: session, costPicos, unpriced: costPicos === null, tags: workflow === undefined ? {} : { ...row.tags, workflow } };
    });
    for (let i = 0; i < rows.length; i += 200) await s.ledger.insert(rows.slice(i, i + 200));
    // A replacement that lowers a cost leaves negative remainders in the daily rollups.
    const replaced = rows.slice(0, 80).map((row, i) => ({ ...row, ts: i % 3 ? row.ts : row.ts + DAY_MS + 7 * 60_000, costPicos: i % 2 ? 1n : 999_998n, unpriced: false }));
    await s.ledger.upsert(replaced, rows.slice(80, 120).map((row) => row.id));
    rows = [...replaced, ...rows.slice(120)];
    const windows: [number | undefined, number | undefined][] = [[undefined, undefined], [start + DAY_MS, start + 4 * DAY_MS], [start + 2 * HOUR_MS, undefined], [start - DAY_MS, start - 1]];
    for (let i = 0; i < 8; i++) {
      const since = start + Math.floor(r() * 3 * DAY_MS);
      windows.push([since, since + Math.floor(r() * 3 * DAY_MS) + 1]);
    }
    for (const by of ['session', 'tag:workflow'] satisfies Dimension[]) {
      for (const [since, until] of windows) {
        expect(await s.ledger.topShare({ by, since, until }), `by=${by} since=${since} until=${until}`).toEqual(bruteTopShare(rows, by, since, until));
      }
    }
    await s.close();
  });

  it('ranks on exact picodollars: remainders summed past a microdollar, negative ones, and ties in microdollars', async () => {
    const s = await open();
    const day = Date.UTC(2026, 10, 12);
    const row = (id: string, session: string, costPicos: bigint, ts: number) => sampleRow({ id, sessionId: session, costPicos, ts });
    // Day 1, each write its own batch: `carry` is 999,999 + 1 picos (remainders summing to a
    // whole microdollar), `lowered` 1,000,000 replaced by 999,999 (a remainder of -1 in the daily
    // rollup). Ten sessions, so the top is one: `carry`, by a picodollar.
    await s.ledger.insert([row('c1', 'carry', 999_999n, day + 3 * HOUR_MS)]);
    await s.ledger.insert([row('c2', 'carry', 1n, day + 9 * HOUR_MS)]);
    await s.ledger.insert([row('l1', 'lowered', 1_000_000n, day + 5 * HOUR_MS)]);
    await s.ledger.upsert([row('l1', 'lowered', 999_999n, day + 5 * HOUR_MS)]);
    await s.ledger.insert(Array.from({ length: 8 }, (_, i) => row(`small${i}`, `small${i}`, BigInt(i), day + 7 * HOUR_MS)));
    // Day 2: twenty sessions within the same microdollar, the largest last in every order.
    const day2 = day + DAY_MS;
    await s.ledger.insert(Array.from({ length: 20 }, (_, i) => row(`t${i}`, `t${String(i).padStart(2, '0')}`, 5_000_000n + BigInt(i), day2 + 2 * HOUR_MS)));
    expect(await s.ledger.topShare({ by: 'session', since: day, until: day + DAY_MS })).toEqual({ groups: 10, top: 1, topCostPicos: 1_000_000n, costPicos: 1_999_999n + 28n });
    for (const [since, until] of [[day2, day2 + DAY_MS], [day2 + HOUR_MS, day2 + 3 * HOUR_MS], [day2 + 1.5 * HOUR_MS, day2 + 2.5 * HOUR_MS], [day2 - HOUR_MS, undefined]]) {
      expect(await s.ledger.topShare({ by: 'session', since, until }), `since=${since}`).toEqual({ groups: 20, top: 2, topCostPicos: 10_000_037n, costPicos: 100_000_190n });
    }
    await s.close();
  });
}
