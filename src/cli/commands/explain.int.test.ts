import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../storage/testing/rows.js';
import { cliWithEnv } from '../../../test/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-cli-explain-'));
const db = join(dir, 'tollgate.db');

beforeAll(async () => {
  const storage = openSqlite(db);
  await storage.ledger.insert([sampleRow({ id: 'r1', ts: Date.UTC(2026, 10, 3, 10), costPicos: 1_000_000_000_000n })]);
  await storage.close();
});

const cli = (...args: string[]) => cliWithEnv([...args, '--db', db]);

describe('tollgate explain --from --to', () => {
  it('refuses an earlier window that starts after the later one, as bad usage naming both', async () => {
    for (const [from, to] of [['today', 'yesterday'], ['2026-11-08..2026-11-15', '2026-11-01..2026-11-08'], ['this-week', 'last-week']]) {
      const r = await cli('explain', '--from', from!, '--to', to!, '--format', 'json');
      expect(r).toMatchObject({ code: 2, out: '' });
      expect(r.err).toBe(`tollgate: explain: --from (${from!}) starts after --to (${to!}): --from is the earlier window, --to the later one; swap them\n`);
    }
  });

  it('explains windows in order, and overlapping ones that start in order', async () => {
    for (const [from, to] of [['2026-11-01..2026-11-08', '2026-11-08..2026-11-15'], ['2026-11-01..2026-11-08', '2026-11-01..2026-11-09'], ['last-month', 'this-week']]) {
      const r = await cli('explain', '--from', from!, '--to', to!, '--format', 'json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ from: { label: from }, to: { label: to } });
    }
  });
});
