import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCreatable, openDb } from './db.js';

describe('a SQLite ledger connection', () => {
  it('is in WAL mode, synced at checkpoints, and checkpoints every 4,000 pages', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'tollgate-db-')), 'ledger.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
    } finally {
      db.close();
    }
  });
});

describe('checkCreatable', () => {
  it('fails as openDb would for a file below a file, with its words, and makes nothing where it passes', () => {
    const root = mkdtempSync(join(tmpdir(), 'tollgate-db-'));
    writeFileSync(join(root, 'afile'), '');
    const path = join(root, 'afile', 'x.db');
    let opened: unknown;
    try {
      openDb(path).close();
    } catch (err) {
      opened = err;
    }
    expect(opened).toMatchObject({ name: 'SqliteOpenError', message: expect.stringContaining('ENOTDIR') });
    expect(() => checkCreatable(path)).toThrow(expect.objectContaining({ name: 'SqliteOpenError', message: (opened as Error).message }));
    checkCreatable(join(root, 'new', 'x.db'));
    expect(existsSync(join(root, 'new'))).toBe(false);
  });
});
