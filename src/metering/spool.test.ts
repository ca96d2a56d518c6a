import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
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
