import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from './db.js';

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
