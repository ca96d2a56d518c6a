import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from './db.js';
import { SqliteOpenError } from './open-error.js';

describe('opening a SQLite ledger that cannot be one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-open-'));

  it('names a file that is not a database', () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    expect(() => openDb(path)).toThrow(SqliteOpenError);
    expect(() => openDb(path)).toThrow(`cannot open the SQLite ledger at "${path}": the file is not a SQLite database`);
  });

  it('names a place where no file can be made', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const path = join(file, 'ledger.db');
    expect(() => openDb(path)).toThrow(`cannot open the SQLite ledger at "${path}": the file cannot be created or opened here`);
  });
});
