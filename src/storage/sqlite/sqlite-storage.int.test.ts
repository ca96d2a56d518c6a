import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe } from 'vitest';
import { storageContract } from '../testing/contract.js';
import { crossSourceContract } from '../testing/cross-source-contract.js';
import { upgradeContract } from '../testing/upgrade-contract.js';
import { SQLITE_TYPES, openSqlite } from './sqlite-storage.js';

const newPath = () => join(mkdtempSync(join(tmpdir(), 'tollgate-sqlite-')), 'test.db');

describe('SQLite storage', () => {
  storageContract(() => Promise.resolve(openSqlite(newPath())));
  crossSourceContract(() => Promise.resolve(openSqlite(newPath())));

  upgradeContract(() => {
    const path = newPath();
    const db = new Database(path);
    return Promise.resolve({
      types: SQLITE_TYPES,
      param: () => '?',
      bool: (b: boolean) => (b ? 1 : 0),
      exec: (sql: string, params: unknown[] = []) => {
        db.prepare(sql).run(params);
        return Promise.resolve();
      },
      close: () => {
        db.close();
        return Promise.resolve();
      },
      open: () => Promise.resolve(openSqlite(path)),
    });
  });
});
