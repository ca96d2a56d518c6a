import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { LOCK_WAIT_MS, checkWritable, openDb } from './db.js';
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

  it('names a folder that is a symlink to nothing (where Node\'s own recursive mkdir spins for ever)', () => {
    const link = join(dir, 'unmounted-volume');
    symlinkSync(join(dir, 'nothing-here'), link);
    const path = join(link, 'tollgate', 'ledger.db');
    expect(() => openDb(path)).toThrow(`cannot open the SQLite ledger at "${path}": the file cannot be created or opened here: ENOTDIR: "${link}" exists but is not a folder`);
  });
});

describe('a SQLite driver whose compiled part cannot load', () => {
  it('says how to rebuild it, with the first line of what Node said', () => {
    const cause = Object.assign(new Error("The module '/x/better_sqlite3.node'\nwas compiled against a different Node.js version using NODE_MODULE_VERSION 115."), { code: 'ERR_DLOPEN_FAILED' });
    const err = new SqliteOpenError('/data/ledger.db', cause);
    expect(err.message).toBe(
      `cannot open the SQLite ledger at "/data/ledger.db": the SQLite driver's compiled part is missing or was built for another Node.js version (run \`npm rebuild better-sqlite3\` with Node.js ${process.versions.node}): The module '/x/better_sqlite3.node'`,
    );
  });

  it('says so when the compiled part is not there at all', () => {
    expect(new SqliteOpenError('/l.db', new Error('Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node')).message).toContain('npm rebuild better-sqlite3');
  });

  it('names a ledger that opens but cannot be written (SQLite opens such a file read-only, without a word), and not one another process is writing', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tollgate-ro-')), 'ledger.db');
    openDb(path).close();
    // A file its user cannot write is opened as this connection is: read-only.
    const readOnly = new Database(path, { readonly: true });
    expect(() => checkWritable(readOnly, path)).toThrow(`cannot open the SQLite ledger at "${path}": the file cannot be written (it, its folder, or the disk is read-only for this user)`);
    readOnly.close();
    const mine = openDb(path);
    expect(() => checkWritable(mine, path)).not.toThrow();
    // Another connection holds the write lock (an import): not waited for, not taken for read-only.
    const importing = openDb(path);
    importing.exec('BEGIN IMMEDIATE');
    expect(() => checkWritable(mine, path)).not.toThrow();
    expect(mine.pragma('busy_timeout', { simple: true })).toBe(LOCK_WAIT_MS);
    importing.exec('ROLLBACK');
    importing.close();
    mine.close();
  });
});

