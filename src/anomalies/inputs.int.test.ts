import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { SeriesReader } from './inputs.js';
import { baselineRows } from './testing/ledger-seed.js';

describe('series reader', () => {
  it('gives the same series when the hour turns, reading only the new hour, as a fresh read does', async () => {
    const storage = openSqlite(':memory:');
    const t0 = Date.UTC(2026, 10, 18, 9, 23);
    await storage.ledger.insert(baselineRows(t0 - 4 * 86_400_000, t0 + 6 * 3_600_000, 3));
    const kept = new SeriesReader(storage.ledger);
    for (let now = t0; now < t0 + 5 * 3_600_000; now += 47 * 60_000) {
      const fresh = new SeriesReader(storage.ledger);
      expect(await kept.spend(['user', 'workflow'], now, 300_000, 3)).toEqual(await fresh.spend(['user', 'workflow'], now, 300_000, 3));
      expect(await kept.sessions(now, 300_000, 3)).toEqual(await fresh.sessions(now, 300_000, 3));
      expect(await kept.cacheUse(now, 900_000, 3)).toEqual(await fresh.cacheUse(now, 900_000, 3));
    }
    // Past session-hours carry how long they were active, from the session rollup's span (schema version 26).
    const { history } = await kept.sessions(t0, 300_000, 3);
    expect(history.length).toBeGreaterThan(100);
    expect(history.every((h) => h.activeMs !== undefined && h.activeMs >= 0 && h.activeMs < 3_600_000)).toBe(true);
    expect(Math.max(...history.map((h) => h.activeMs!))).toBeGreaterThan(40 * 60_000);
    const [spend] = await kept.spend(['user'], t0, 300_000, 3);
    expect(spend!.hourly.get('alice')?.size).toBeGreaterThan(60);
    await storage.close();
  });
});
