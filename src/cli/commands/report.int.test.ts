import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { usd } from '../../core/money.js';
import { openSqlite } from '../../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../storage/testing/rows.js';
import { cliWithEnv } from '../../../test/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-cli-report-'));
const db = join(dir, 'tollgate.db');
const NEXT_YEAR = Date.now() + 365 * 86_400_000;

beforeAll(async () => {
  const storage = openSqlite(db);
  // A row an hour old, and one dated next year (a clock ahead, an import).
  await storage.ledger.insert([
    sampleRow({ id: 'now', ts: Date.now() - 3_600_000, user: 'alice', costPicos: usd(1) }),
    sampleRow({ id: 'later', ts: NEXT_YEAR, user: 'bob', costPicos: usd(2) }),
  ]);
  await storage.close();
});

const cli = (...args: string[]) => cliWithEnv([...args, '--db', db]);

describe('tollgate report without --until', () => {
  it('ends the window now, as its help says: a row dated in the future is not in it', async () => {
    const before = Date.now();
    const r = await cli('report', '--since', '1d', '--by', 'user', '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { until: string; rows: { user: string }[] };
    expect(json.rows.map((row) => row.user)).toEqual(['alice']);
    expect(Date.parse(json.until)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(json.until)).toBeLessThanOrEqual(Date.now());
    // Asked for, it is there.
    const later = JSON.parse((await cli('report', '--since', '1d', '--until', new Date(NEXT_YEAR + 1).toISOString(), '--by', 'user', '--format', 'json')).out) as { rows: { user: string }[] };
    expect(later.rows.map((row) => row.user).sort()).toEqual(['alice', 'bob']);
    // The routing-rule report and the outcomes report end now too.
    expect(JSON.parse((await cli('report', '--since', '1d', '--by', 'rule', '--format', 'json')).out).until).not.toBeNull();
    expect(JSON.parse((await cli('outcomes', 'report', '--since', '1d', '--format', 'json')).out).until).not.toBeNull();
    // A start after now leaves nothing to report: said so, not an empty table.
    expect(await cli('report', '--since', new Date(NEXT_YEAR).toISOString())).toMatchObject({ code: 2, err: expect.stringContaining('must be before now') });
  });

  it('leaves export as it says: every row from --since on, future ones too (the way to move a ledger)', async () => {
    const r = await cli('export', '--since', '1d');
    expect(r.out.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['now', 'later']);
  });
});

describe('tollgate report --by', () => {
  it('refuses a dimension named twice, as bad usage, rather than repeating its column', async () => {
    for (const by of [['--by', 'user', '--by', 'user'], ['--by', 'user,team,user'], ['--by', 'rule', 'rule']]) {
      const r = await cli('report', '--since', '1d', ...by, '--format', 'json');
      expect(r).toMatchObject({ code: 2, out: '' });
      expect(r.err).toMatch(/^tollgate: report: --by (user|rule) is given twice; name each dimension once\n$/);
    }
  });
});
