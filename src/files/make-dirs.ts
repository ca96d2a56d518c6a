import { accessSync, constants, lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that fails where it cannot go on. Node's `mkdirSync(dir, { recursive: true })`
 * never returns when a folder on the way exists but cannot hold children, as a dangling symlink
 * (a volume not mounted) or a path under /proc: mkdir answers ENOENT, Node creates the parent,
 * which exists, and tries again, for ever, at 100% CPU (nodejs/node, still so in Node 20 and 22).
 * Here each missing folder is made once, from the nearest one that exists, and the first that
 * cannot be made ends it with an error naming it.
 */
export function makeDirs(dir: string): void {
  for (const d of missingDirs(dir)) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Made meanwhile by another process, or there but not a folder (a dangling symlink).
      if (!statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw notADirectory(d);
    }
  }
}

/**
 * Throws what `makeDirs(dir)` would, or writing a file in `dir` then, making nothing (`tollgate
 * check`): ENOTDIR naming a path on the way that is not a folder, in the same words, or EACCES
 * (EROFS) naming the folder this user could not write in: `dir` itself, or the nearest that exists.
 */
export function checkDirsWritable(dir: string): void {
  const missing = missingDirs(dir);
  // Missing to stat, there to lstat: a symlink to nothing, which mkdir meets as EEXIST.
  const dangling = missing.find((d) => lstatSync(d, { throwIfNoEntry: false }) !== undefined);
  if (dangling) throw notADirectory(dangling);
  const nearest = missing.length > 0 ? dirname(missing[0]!) : resolve(dir);
  accessSync(nearest, constants.R_OK | constants.W_OK | constants.X_OK);
}

/** The folders on the way to `dir` that do not exist, outermost first; ENOTDIR when one that exists is not a folder. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); ; ) {
    const st = statOf(d);
    if (st) {
      if (!st.isDirectory()) throw notADirectory(d);
      break;
    }
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  return missing.reverse();
}

/** The folder's stat, or undefined when it is missing, also under a file (ENOTDIR: its parent then says why). */
function statOf(path: string): ReturnType<typeof statSync> {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: "${path}" exists but is not a folder (a file, or a symlink to nothing)`), { code: 'ENOTDIR', path });
}
