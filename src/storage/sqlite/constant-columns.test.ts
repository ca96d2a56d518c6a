import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { insertWithConstants, sqlLiteral } from './constant-columns.js';

const COLUMNS = ['id', 'n', 'big', 'text', 'empty', 'mixed', 'zero'];

/** Two tables without type affinity (so that a REAL and an INTEGER stay apart), one filled per path. */
function tables() {
  const db = new Database(':memory:');
  for (const t of ['bound', 'literal']) db.exec(`CREATE TABLE ${t} (id PRIMARY KEY, n, big, text, empty, mixed, zero)`);
  const plain = (t: string) => db.prepare(`INSERT OR IGNORE INTO ${t} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  const dump = (t: string) => db.prepare(`SELECT ${COLUMNS.map((c) => `${c}, typeof(${c}) AS ${c}_type`).join(', ')} FROM ${t} ORDER BY rowid`).safeIntegers().all();
  return { db, plain, dump };
}

describe('insertWithConstants', () => {
  it('stores exactly what binding every value stores, and tells which rows were new', () => {
    const { db, plain, dump } = tables();
    const rows = Array.from({ length: 100 }, (_, i) => [`r${i % 90}`, 7, 9_007_199_254_740_991n, "it's \u00e9", null, i % 2 ? 1.5 : 'x', i === 50 ? -0 : 0]);
    const bound = plain('bound');
    const expected = rows.map((v) => bound.run(v).changes === 1);
    const inserted = insertWithConstants(db, 'literal', COLUMNS, rows.length, (i) => rows[i]!, plain('literal'));
    expect(inserted).toEqual(expected);
    expect(inserted.filter(Boolean)).toHaveLength(90);
    expect(dump('literal')).toEqual(dump('bound'));
  });

  it('binds what has no exact literal', () => {
    expect(sqlLiteral(5)).toBe('5.0');
    expect(sqlLiteral("a'b")).toBe("'a''b'");
    expect(sqlLiteral(2n ** 63n - 1n)).toBe('9223372036854775807');
    for (const v of [-0, 0.5, NaN, 2n ** 63n, 'a\0b', true, undefined, {}]) expect(sqlLiteral(v)).toBeUndefined();
  });
});
