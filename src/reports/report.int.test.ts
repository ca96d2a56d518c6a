import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { randomRows, rng } from '../storage/testing/rows.js';
import { runReport } from './report.js';

describe('report concentration', () => {
  it('is the same whether the report is grouped by session (ranked from its rows) or not (ranked by the store)', async () => {
    const s = openSqlite(join(mkdtempSync(join(tmpdir(), 'tollgate-report-')), 'ledger.db'));
    const r = rng(5);
    await s.ledger.insert(randomRows(800, 21).map((row, i) => ({ ...row, sessionId: i % 13 === 0 ? null : `s${Math.floor(r() * 47)}`, tags: { workflow: `w${Math.floor(r() * 23)}` } })));
    const since = Date.UTC(2026, 10, 18, 5, 30);
    const until = Date.UTC(2026, 10, 20, 17, 10);
    for (const dim of ['session', 'tag:workflow'] as const) {
      const own = await runReport(s.ledger, { since, until, by: [dim] });
      const other = await runReport(s.ledger, { since, until, by: ['user'] });
      const key = dim === 'session' ? 'sessions' : 'workflows';
      expect(own.concentration[key]).toEqual(other.concentration[key]);
      expect(own.concentration[key].of).toBeGreaterThan(20);
    }
    await s.close();
  });
});
