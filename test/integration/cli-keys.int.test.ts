import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tollgate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('tollgate keys and the ledger they go to', () => {
  it('says which ledger a key is stored in, and when that ledger was made just now (a gateway on other storage would refuse the key)', async () => {
    const db = join(dir, 'first.db');
    const first = await tollgate('keys', 'create', '--user', 'alice', '--team', 'platform', '--db', db);
    expect(first.code).toBe(0);
    expect(first.out).toContain(`Stored in the ledger at ${db}, a ledger created just now: a gateway knows the key only if it runs on the same storage (the same --config or --db).\n`);
    const second = await tollgate('keys', 'create', '--user', 'bob', '--team', 'platform', '--db', db);
    expect(second.out).toContain(`Stored in the ledger at ${db}.\n`);
  });

  it('lists and revokes only in a ledger that exists, rather than making an empty one', async () => {
    const typo = join(dir, 'typo.db');
    for (const args of [['keys', 'list'], ['keys', 'revoke', 'key_x']]) {
      const r = await tollgate(...args, '--db', typo);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`no ledger at "${typo}"`);
    }
    expect(existsSync(typo)).toBe(false);
  });
});
