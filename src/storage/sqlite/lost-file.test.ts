import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-storage.js';

describe("a SQLite ledger's file", () => {
  it('is reported once deleted, and never for an in-memory ledger', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tollgate-lost-')), 'l.db');
    const s = openSqlite(path);
    const memory = openSqlite(':memory:');
    expect(s.lostFile?.()).toBeUndefined();
    rmSync(path);
    expect(s.lostFile?.()).toBe(`the ledger file "${path}" was deleted`);
    expect(memory.lostFile?.()).toBeUndefined();
    await Promise.all([s.close(), memory.close()]);
  });
});
