import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
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

  it('reads the cache windows as disjoint slices that sum to what each window read alone gives', async () => {
    const storage = openSqlite(':memory:');
    const t0 = Date.UTC(2026, 10, 18, 9, 23);
    await storage.ledger.insert(baselineRows(t0 - 2 * 86_400_000, t0 + 3_600_000, 3));
    // Three workflows on two models, a request every 37 s over the last 70 minutes, with cache reads and writes.
    const extra = Array.from({ length: 114 }, (_, i) =>
      sampleRow({ id: `w${i}`, ts: t0 - 70 * 60_000 + i * 37_000, tags: { workflow: ['review', 'triage', 'docs'][i % 3]! }, model: i % 2 ? 'gpt-5-mini' : 'gpt-5', inputTokens: 1000 + i, cacheReadTokens: i * 7, cacheWriteTokens: i * 3 }),
    );
    await storage.ledger.insert(extra);
    const alone = async (since: number, until: number) =>
      (await storage.ledger.aggregate({ since, until, by: ['tag:workflow', 'model', 'provider'] }))
        .map((r) => ({ workflow: r.keys[0]!, model: r.keys[1]!, provider: r.keys[2]!, requests: r.requests, inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens }))
        .sort((a, b) => `${a.workflow} ${a.model} ${a.provider}`.localeCompare(`${b.workflow} ${b.model} ${b.provider}`));
    const use = await new SeriesReader(storage.ledger).cacheUse(t0, 900_000, 1, 300_000, 3_600_000);
    expect(use.current).toEqual(await alone(t0 - 900_000, t0));
    expect(use.recent).toEqual(await alone(t0 - 300_000, t0));
    expect(use.lastHour).toEqual(await alone(t0 - 3_600_000, t0));
    expect(use.lastHour.length).toBeGreaterThanOrEqual(6);
    await storage.close();
  });
});
