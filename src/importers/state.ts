import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../files/make-dirs.js';
import type { DirStamps, Found, FoundFile, SourceName } from './discover.js';

/**
 * What an import remembers between runs, in two files beside each other: the small index
 * of files read (size, mtime, inode, and the offset after the last complete line), which a
 * no-change run compares with a stat of each file; and the adapters' memory (Claude Code's
 * responses already counted, with their token totals), read only when there is something new.
 */
export interface FileRecord {
  source: SourceName;
  size: number;
  mtimeMs: number;
  ino: number;
  offset: number;
  /**
   * A hash of the bytes around the start of the file and just before `offset` (see
   * fingerprint): a file rewritten in place keeps its inode, and may have grown past the offset.
   */
  mark?: string;
  /** The adapter's per-file state after `offset` (Codex: model and cumulative totals). */
  state?: unknown;
}

export interface ImportState {
  version: 1;
  /** What the rows were written to (a SQLite file, a Postgres URL without password, a push URL). */
  target: string;
  /**
   * For a SQLite target, its file, inode and birth time, and the time its schema was made (read
   * from inside it): a database replaced or deleted since means starting over. A file deleted
   * and made again can get its inode back; its birth time (where the file system keeps one)
   * and its creation time inside differ.
   */
  targetFile?: string;
  targetIno?: number;
  targetBirthMs?: number;
  targetId?: string;
  /** The config file's size and mtime when the state was saved (see quick-check.ts). */
  configStamp?: string | null;
  files: Record<string, FileRecord>;
  /** The directories listed under the roots, with their mtimes (see DirStamps). */
  dirs?: DirStamps;
}

export type AdapterMemory = Partial<Record<SourceName, unknown>>;

export function emptyState(target: string): ImportState {
  return { version: 1, target, files: {} };
}

const memoryPath = (statePath: string) => statePath.replace(/\.json$/, '') + '.memory.json';

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined; // missing or torn: start over (re-imports are idempotent)
  }
}

export function loadState(path: string): ImportState | undefined {
  const s = readJson(path) as ImportState | undefined;
  return s && s.version === 1 && typeof s.files === 'object' && s.files !== null ? s : undefined;
}

export function loadMemory(statePath: string): AdapterMemory {
  const m = readJson(memoryPath(statePath));
  return typeof m === 'object' && m !== null ? m : {};
}

/**
 * Writes both files atomically (temp file, then rename), memory first: a crash between
 * them only re-reads appended lines. Without `memory`, the memory file is left as it is.
 */
export function saveState(path: string, state: ImportState, memory?: AdapterMemory): void {
  makeDirs(dirname(path));
  const write = (p: string, value: unknown) => {
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, p);
  };
  if (memory) write(memoryPath(path), memory);
  write(path, state);
}

/**
 * Where to start reading a file: undefined when it has not changed since the last run.
 * From stats alone (the no-change check uses it); see `checkedResumePoint` before reading.
 */
export function resumePoint(f: FoundFile, rec: FileRecord | undefined): { from: number; state: unknown } | undefined {
  if (!rec || rec.ino !== f.ino || f.size < rec.offset) return { from: 0, state: undefined };
  if (rec.size === f.size && rec.mtimeMs === f.mtimeMs) return undefined;
  return { from: rec.offset, state: rec.state };
}

/** Whether a stat of the SQLite target is the one the state saw (a state without the birth time: the inode alone). */
export function sameTargetFile(state: ImportState, st: { ino: number; birthtimeMs: number } | undefined): boolean {
  return st !== undefined && st.ino === state.targetIno && (state.targetBirthMs === undefined || st.birthtimeMs === state.targetBirthMs);
}

/** Whether `path` is `root` or inside it. */
export function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : root + '/');
}

/** Files the state remembers under the roots just scanned, for the same source, that are gone now. */
export function vanished(state: ImportState, found: readonly Found[]): string[] {
  const present = new Set(found.flatMap((f) => f.files.map((x) => x.path)));
  const out: string[] = [];
  for (const [path, rec] of Object.entries(state.files)) {
    if (present.has(path)) continue;
    const scanned = found.find((f) => f.source === rec.source);
    if (scanned?.roots.some((root) => isUnder(path, root))) out.push(path);
  }
  return out;
}

/**
 * The state after a walk of `found`'s roots: the files gone from them forgotten, and their
 * directory stamps replaced by the walk's (other roots' entries are kept).
 */
export function afterWalk(state: ImportState, found: readonly Found[]): ImportState {
  const gone = new Set(vanished(state, found));
  const files = gone.size === 0 ? state.files : Object.fromEntries(Object.entries(state.files).filter(([p]) => !gone.has(p)));
  const roots = found.flatMap((f) => f.roots);
  const dirs: DirStamps = {};
  for (const [d, m] of Object.entries(state.dirs ?? {})) if (!roots.some((r) => isUnder(d, r))) dirs[d] = m;
  for (const f of found) Object.assign(dirs, f.dirs);
  return { ...state, files, dirs };
}
