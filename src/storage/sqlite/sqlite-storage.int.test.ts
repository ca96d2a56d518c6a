import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { storageContract } from '../testing/contract.js';
import { openSqlite } from './sqlite-storage.js';

describe('SQLite storage', () => {
  storageContract(() => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'tollgate-sqlite-')), 'test.db'))));
});
