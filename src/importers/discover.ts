import { type Dirent, existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * Where each agent keeps its logs (usage-formats.md §1.3), and the files found there.
 * Only node:fs and node:path: the no-change re-import runs this before loading anything else.
 */
export type SourceName = 'claude-code' | 'codex';
export const SOURCE_NAMES: readonly SourceName[] = ['claude-code', 'codex'];

export class SourceDirError extends Error {}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** A list from an environment variable: comma-separated, blanks dropped. */
function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Claude Code: each entry of CLAUDE_CONFIG_DIR (comma-separated; it replaces the defaults)
 * or of `--dir` is a config dir holding `projects/`, or the `projects/` dir itself; a
 * `--dir` may also be any folder of transcripts. Default: both `$XDG_CONFIG_HOME/claude`
 * (`~/.config/claude`) and `~/.claude`, when present. A `--dir` that is none of these is an
 * error; so is CLAUDE_CONFIG_DIR when none of its entries is (usage-formats.md §1.3), while an
 * entry of it that is not, beside one that is (a profile never used), is passed to `skipped`.
 */
export function claudeRoots(env: NodeJS.ProcessEnv, dirs?: readonly string[], skipped?: (message: string) => void): string[] {
  const flag = dirs !== undefined && dirs.length > 0;
  const explicit = flag ? [...dirs] : list(env.CLAUDE_CONFIG_DIR);
  if (explicit.length > 0) {
    const found = explicit.map((d) => resolve(d)).map((d) => (isDir(join(d, 'projects')) ? join(d, 'projects') : isDir(d) && (flag || basename(d) === 'projects') ? d : undefined));
    const bad = explicit.filter((_, i) => found[i] === undefined);
    if (bad.length > 0) {
      const why = (d: string) => (!existsSync(d) ? 'does not exist' : !isDir(d) ? 'is not a folder' : 'is not a Claude Code config directory (no projects/ folder inside)');
      const message = `${flag ? '--dir' : 'CLAUDE_CONFIG_DIR'}: ${bad.map((b) => `"${b}" ${why(resolve(b))}`).join('; ')}`;
      if (flag || bad.length === explicit.length) throw new SourceDirError(message);
      skipped?.(`${message}; read the others`);
    }
    return unique(found.filter((d) => d !== undefined));
  }
  return unique(defaultClaudeDirs(env).filter(isDir));
}

/** Where Claude Code keeps its transcripts when CLAUDE_CONFIG_DIR does not say. */
function defaultClaudeDirs(env: NodeJS.ProcessEnv): string[] {
  const home = homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return [join(xdg, 'claude', 'projects'), join(home, '.claude', 'projects')];
}

/** Codex's homes: CODEX_HOME's entries, else `~/.codex`. */
function codexHomes(env: NodeJS.ProcessEnv): string[] {
  const homes = list(env.CODEX_HOME).map((d) => resolve(d));
  return homes.length > 0 ? homes : [join(homedir(), '.codex')];
}

/** What an import that found no log file at all says: where it looked, and how to point it elsewhere. */
export function noLogsFound(env: NodeJS.ProcessEnv, source: string): string {
  const explicit = list(env.CLAUDE_CONFIG_DIR);
  const claude = explicit.length > 0 ? `CLAUDE_CONFIG_DIR (${explicit.join(', ')})` : defaultClaudeDirs(env).join(' and ');
  const codex = codexHomes(env)
    .map((h) => join(h, 'sessions'))
    .join(', ');
  const where = source === 'claude-code' ? `Claude Code's in ${claude}` : source === 'codex' ? `Codex's in ${codex}` : `Claude Code's in ${claude}, Codex's in ${codex}`;
  return `No agent logs found: looked for ${where}. Point elsewhere with --source and --dir, or CLAUDE_CONFIG_DIR / CODEX_HOME.\n`;
}

/**
 * Codex CLI: `$CODEX_HOME` (default `~/.codex`), its `sessions/` and `archived_sessions/`.
 * A `--dir` is a Codex home, or any folder of rollout files. As for Claude Code, a folder named
 * (CODEX_HOME, --dir) that is not there is an error; the default one is read only if present.
 * A Codex home without `sessions/` yet (Codex installed, never run) has nothing to read.
 */
export function codexRoots(env: NodeJS.ProcessEnv, dirs?: readonly string[]): string[] {
  const homes = dirs && dirs.length > 0 ? dirs.map((d) => resolve(d)) : list(env.CODEX_HOME).map((d) => resolve(d));
  if (dirs && dirs.length > 0) {
    const bad = homes.filter((d) => !isDir(d));
    if (bad.length > 0) throw new SourceDirError(`--dir: ${bad.map((b) => `"${b}"`).join(', ')} is not a directory`);
    return unique(homes.flatMap((h) => (isDir(join(h, 'sessions')) ? [join(h, 'sessions'), join(h, 'archived_sessions')].filter(isDir) : [h])));
  }
  const bad = homes.filter((d) => !isDir(d));
  if (bad.length > 0) throw new SourceDirError(`CODEX_HOME: ${bad.map((b) => `"${b}" ${existsSync(b) ? 'is not a folder' : 'does not exist'}`).join('; ')}`);
  return unique(codexHomes(env).flatMap((h) => [join(h, 'sessions'), join(h, 'archived_sessions')]).filter(isDir));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

export interface FoundFile {
  path: string;
  /** Path relative to its root (Codex: an archived copy of an active file has the same one). */
  relative: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * A directory's mtime when it was listed, or null when that mtime was too recent to trust:
 * file times are coarse (a clock tick, two seconds on FAT), so an entry created within the
 * same tick as the listing may leave the mtime unchanged. A settled stamp lets the next
 * no-change run skip listing the directory (see quick-check.ts).
 */
export type DirStamps = Record<string, number | null>;

/** How old a directory's mtime must be, at the listing, for its stamp to be trusted. */
export const SETTLED_MS = 3000;

/** Every `*.jsonl` file under the roots, stat'ed (never read), sorted by path, and the directories listed. */
export function findFiles(roots: readonly string[]): { files: FoundFile[]; dirs: DirStamps } {
  const out: FoundFile[] = [];
  const dirs: DirStamps = {};
  const settled = Date.now() - SETTLED_MS;
  for (const root of roots) walk(root.endsWith('/') ? root.slice(0, -1) : root, '', out, dirs, settled);
  return { files: out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), dirs };
}

// Paths are joined by hand: path.join normalises every time, which was a third of a no-change run.
function walk(root: string, rel: string, out: FoundFile[], dirs: DirStamps, settled: number): void {
  const dir = rel ? `${root}/${rel}` : root || '/';
  let entries: Dirent[];
  try {
    // Stat before listing: an entry created in between makes the next run list the directory again.
    const mtime = statSync(dir).mtimeMs;
    entries = readdirSync(dir, { withFileTypes: true });
    dirs[dir] = mtime < settled ? mtime : null;
  } catch {
    return; // vanished or unreadable: nothing to import from it
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(root, r, out, dirs, settled);
    else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.jsonl')) {
      const path = `${root}/${r}`;
      try {
        const st = statSync(path);
        if (st.isFile()) out.push({ path, relative: r, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
      } catch {
        // removed between readdir and stat
      }
    }
  }
}

/** The roots and files of the chosen sources. */
export interface Found {
  source: SourceName;
  roots: string[];
  files: FoundFile[];
  dirs: DirStamps;
}

/** `skipped`: told of a CLAUDE_CONFIG_DIR entry left out (claudeRoots). */
export function discover(sources: readonly SourceName[], env: NodeJS.ProcessEnv, dirs?: readonly string[], skipped?: (message: string) => void): Found[] {
  return sources.map((source) => {
    const roots = source === 'claude-code' ? claudeRoots(env, dirs, skipped) : codexRoots(env, dirs);
    const walked = findFiles(roots);
    return { source, roots, files: source === 'codex' ? withoutArchivedCopies(walked.files) : walked.files, dirs: walked.dirs };
  });
}

/** An archived Codex session with the same relative path as an active one is the same session: the active copy wins. */
function withoutArchivedCopies(files: FoundFile[]): FoundFile[] {
  const active = new Set(files.filter((f) => !f.path.includes('/archived_sessions/')).map((f) => f.relative));
  return files.filter((f) => !f.path.includes('/archived_sessions/') || !active.has(f.relative));
}
