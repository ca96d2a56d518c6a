import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sampleRow } from '../storage/testing/rows.js';
import { forEachJournalBatch } from './journal-files.js';
import { decodeRow } from './row-codec.js';
import { Spool, checkSpoolDir } from './spool.js';

describe('checkSpoolDir', () => {
  it('fails where a Spool would fail at start, with its words, and makes nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'tollgate-spool-dir-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'afile'), '');
    const dir = join(root, 'afile', 'spool');
    expect(() => new Spool(dir)).toThrow(/^cannot use the spool folder/);
    let started: unknown;
    try {
      new Spool(dir);
    } catch (err) {
      started = err;
    }
    expect(() => checkSpoolDir(dir)).toThrow(expect.objectContaining({ name: 'SpoolDirError', message: (started as Error).message }));
    expect((started as Error).message).toBe(
      `cannot use the spool folder "${dir}" (ENOTDIR: "${join(root, 'afile')}" exists but is not a folder (a file, or a symlink to nothing)): set storage.spool_dir to a folder Tollgate can write`,
    );
    // A folder that can be made passes, and is not made.
    checkSpoolDir(join(root, 'new', 'spool'));
    expect(existsSync(join(root, 'new'))).toBe(false);
  });
});

describe('Spool.reopen', () => {
  it('makes a file deleted with its folder again, holding every row it held, at the same offsets', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tollgate-spool-reopen-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, 'spool');
    const spool = new Spool(dir);
    const row = (id: string) => sampleRow({ id, ts: 1_700_000_000_000 });
    spool.append(row('a'));
    spool.append(row('b'));
    spool.flush();
    spool.markCommitted(1);
    const at = spool.nextOffset();
    spool.append(row('c'));
    rmSync(dir, { recursive: true });
    expect(spool.lostFile()).toMatch(/^the spool file ".*" was deleted$/);

    const path = spool.reopen();
    expect(spool.lostFile()).toBeUndefined();
    spool.append(row('d'));
    // A row spilled before the folder went is read back from where it was.
    expect(spool.readLines(at, 10).lines.map((l) => decodeRow(l).id)).toEqual(['c', 'd']);
    spool.close();
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]);
    const kept: string[] = [];
    await forEachJournalBatch(path, 100, (rows) => Promise.resolve(void kept.push(...rows.map((r) => r.id))));
    expect(kept).toEqual(['a', 'b', 'c', 'd']);
  });
});
