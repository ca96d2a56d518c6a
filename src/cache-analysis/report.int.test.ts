import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { runCacheReport } from './report.js';

describe('the cache report window', () => {
  it('ends now when no end is given, not at the last row (the weekly figures scale from it)', async () => {
    const s = openSqlite(':memory:');
    try {
      const first = Date.now() - 10 * 3_600_000;
      await s.ledger.insert([sampleRow({ id: 'c1', ts: first }), sampleRow({ id: 'c2', ts: first + 60_000 })]);
      const before = Date.now();
      const r = await runCacheReport(s.ledger, { since: Date.now() - 24 * 3_600_000, by: 'workflow', price: () => 0n });
      expect(r.until).toBeGreaterThanOrEqual(before);
      // From the ledger's first row (inside the window) to now: ten hours, not the minute between the rows.
      expect(r.windowMs).toBeGreaterThanOrEqual(before - first);
      expect(r.windowMs).toBeLessThan(before - first + 60_000);
      // A row dated in the future (a clock ahead, an import) is past the end: not read.
      await s.ledger.insert([sampleRow({ id: 'c3', ts: Date.now() + 365 * 86_400_000 })]);
      const later = await runCacheReport(s.ledger, { since: Date.now() - 24 * 3_600_000, by: 'workflow', price: () => 0n });
      expect(later.groups.reduce((n, g) => n + g.requests, 0)).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('does not call writes wasted whose TTL is still running now, when the window ends in the future', async () => {
    const s = openSqlite(':memory:');
    try {
      // Twenty 5-minute cache writes at 18:08, each in its own session, none read back (yet).
      const at = Date.parse('2026-12-06T18:08:00Z');
      await s.ledger.insert(Array.from({ length: 20 }, (_, i) => sampleRow({ id: `w${i}`, ts: at + i * 100, sessionId: `s${i}`, inputTokens: 6_000, cacheReadTokens: 0, cacheWriteTokens: 5_000, cacheWrite1hTokens: 0, tags: { workflow: 'support' } })));
      const run = (now: string) => runCacheReport(s.ledger, { since: Date.parse('2026-12-06T18:00:00Z'), until: Date.parse('2026-12-06T18:30:00Z'), now: Date.parse(now), by: 'workflow', price: () => 0n });
      const wasted = (r: Awaited<ReturnType<typeof run>>) => r.groups.reduce((n, g) => n + g.wastedWrites, 0);
      // At 18:09 every TTL runs to 18:13 at least: open, not wasted.
      const early = await run('2026-12-06T18:09:00Z');
      expect(early.groups.reduce((n, g) => n + g.requests, 0)).toBe(20);
      expect(wasted(early)).toBe(0);
      expect(early.findings.filter((f) => f.kind === 'wasted_writes')).toEqual([]);
      // At 18:20 they all lapsed unread.
      expect(wasted(await run('2026-12-06T18:20:00Z'))).toBe(20);
    } finally {
      await s.close();
    }
  });
});
