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
});
