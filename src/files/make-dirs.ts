import { mkdirSync, statSync } from 'node:fs';
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
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Made meanwhile by another process, or there but not a folder (a dangling symlink).
      if (!statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw notADirectory(d);
    }
  }
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
