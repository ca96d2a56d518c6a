import { existsSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDirsWritable, makeDirs } from './make-dirs.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'tollgate-make-dirs-'));

describe('makeDirs', () => {
  it('makes every missing folder on the way, and leaves existing ones alone', () => {
    const root = fresh();
    makeDirs(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(join(root, 'a', 'b', 'c'));
    makeDirs(root);
  });

  it('fails, rather than spinning, below a symlink to nothing', () => {
    const root = fresh();
    symlinkSync(join(root, 'unmounted'), join(root, 'data'));
    expect(() => makeDirs(join(root, 'data', 'tollgate'))).toThrow(/data" exists but is not a folder/);
    expect(existsSync(join(root, 'unmounted'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self'))('fails, rather than spinning, under /proc', () => {
    expect(() => makeDirs('/proc/tollgate-not-here/spool')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('fails below a file', () => {
    const root = fresh();
    writeFileSync(join(root, 'f'), '');
    expect(() => makeDirs(join(root, 'f', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    // Deeper below it too, naming the file in the words the docs show.
    expect(() => makeDirs(join(root, 'f', 'x', 'spool'))).toThrow(`ENOTDIR: "${join(root, 'f')}" exists but is not a folder (a file, or a symlink to nothing)`);
  });

  it('follows a symlink to a folder', () => {
    const root = fresh();
    makeDirs(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'link'));
    makeDirs(join(root, 'link', 'x'));
    expect(statSync(join(root, 'real', 'x')).isDirectory()).toBe(true);
  });
});

describe('checkDirsWritable', () => {
  it('passes a folder that exists or could be made, and makes nothing', () => {
    const root = fresh();
    checkDirsWritable(root);
    checkDirsWritable(join(root, 'a', 'b'));
    expect(existsSync(join(root, 'a'))).toBe(false);
  });

  it('fails as makeDirs would, in the same words, below a file or a symlink to nothing', () => {
    const root = fresh();
    writeFileSync(join(root, 'f'), '');
    symlinkSync(join(root, 'unmounted'), join(root, 'data'));
    for (const dir of [join(root, 'f'), join(root, 'f', 'x', 'spool'), join(root, 'data', 'tollgate')]) {
      let made: unknown;
      try {
        makeDirs(dir);
      } catch (err) {
        made = err;
      }
      expect(made).toBeInstanceOf(Error);
      expect(() => checkDirsWritable(dir)).toThrow((made as Error).message);
    }
    expect(() => checkDirsWritable(join(root, 'f', 'x'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(existsSync(join(root, 'unmounted'))).toBe(false);
  });
});
