import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Who and what imported rows are charged to (flags, then config `import:`, then defaults). */
export interface Attribution {
  user: string | null;
  team: string | null;
  /** Overrides the project found from each log's working directory. */
  project: string | null;
}

/**
 * The project of a working directory: the name of the git repository holding it (found by
 * looking for `.git` upwards), else the directory's own name. Cached per directory.
 */
export function projectResolver(exists: (p: string) => boolean = existsSync): (cwd: string) => string {
  const cache = new Map<string, string>();
  return (cwd) => {
    let hit = cache.get(cwd);
    if (hit === undefined) {
      hit = basename(repoRoot(cwd, exists) ?? cwd) || cwd;
      cache.set(cwd, hit);
    }
    return hit;
  };
}

function repoRoot(dir: string, exists: (p: string) => boolean): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (exists(`${d}/.git`)) return d;
    if (dirname(d) === d) return undefined;
  }
}
