import { readdirSync, statSync } from 'node:fs';
import { SOURCE_NAMES, type SourceName, claudeRoots, codexRoots, noLogsFound } from './discover.js';
import { type ImportState, isUnder, loadState, resumePoint, sameTargetFile } from './state.js';
import { statePathFor } from './state-path.js';

/**
 * The no-change re-import (an hourly cron's usual case), answered with node built-ins
 * only: parse the few flags that matter, then compare the saved state with a stat of each
 * log file and of each directory (a directory whose mtime is unchanged and was settled
 * when listed has the same entries, so it is not listed again). Returns the exit code when
 * nothing changed, or undefined to run the full command (anything new, a first run, a flag
 * this parser does not know, or any doubt).
 */
export function quickImport(argv: readonly string[], env: NodeJS.ProcessEnv, out: (s: string) => void): number | undefined {
  const flags = parse(argv);
  if (!flags) return undefined;
  try {
    const path = statePathFor(flags, env, process.cwd());
    const state = loadState(path);
    if (!state?.dirs || configStamp(flags.config) !== state.configStamp) return undefined;
    if (state.targetFile !== undefined && !sameTargetFile(state, statSync(state.targetFile))) return undefined;
    const sources: readonly SourceName[] = flags.source === 'all' ? SOURCE_NAMES : [flags.source as SourceName];
    let files = 0;
    for (const source of sources) {
      const n = unchangedFiles(state, source, source === 'claude-code' ? claudeRoots(env, flags.dir) : codexRoots(env, flags.dir));
      if (n === undefined) return undefined;
      files += n;
    }
    if (flags.json) out(JSON.stringify({ filesSeen: files, filesRead: 0, bytesRead: 0, written: 0, removed: 0, sources: {} }) + '\n');
    else if (!flags.quiet) out(files === 0 && !flags.dir ? noLogsFound(env, flags.source) : `Nothing new in ${files} log file${files === 1 ? '' : 's'}.\n`);
    return 0;
  } catch {
    return undefined;
  }
}

/** How many of the source's files the state holds under `roots`, or undefined if anything there changed. */
function unchangedFiles(state: ImportState, source: SourceName, roots: readonly string[]): number | undefined {
  const dirs = state.dirs!;
  if (!roots.every((r) => r in dirs)) return undefined; // a root never walked
  const inRoots = (p: string) => roots.some((r) => isUnder(p, r));
  for (const dir in dirs) {
    const stamp = dirs[dir];
    if (!inRoots(dir)) continue;
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return undefined;
    if (stamp !== null && st.mtimeMs === stamp) continue;
    // Touched since, or listed too soon after a change to tell: compare its entries.
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const child = `${dir === '/' ? '' : dir}/${e.name}`;
      if (e.isDirectory() ? !(child in dirs) : (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.jsonl') && !(child in state.files)) return undefined;
    }
  }
  let n = 0;
  for (const path in state.files) {
    const rec = state.files[path]!;
    if (rec.source !== source || !inRoots(path)) continue;
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile() || resumePoint({ path, relative: '', size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, rec)) return undefined;
    n++;
  }
  return n;
}

/** The config file's size and mtime: if it changed, the target may have too. */
export function configStamp(path: string | undefined): string | null {
  if (!path) return null;
  const st = statSync(path);
  return `${st.size}:${st.mtimeMs}`;
}

interface QuickFlags {
  source: string;
  dir: string[] | undefined;
  config?: string;
  db?: string;
  push?: string;
  state?: string;
  json: boolean;
  quiet: boolean;
}

const VALUED = new Set(['--source', '--dir', '--config', '--db', '--push', '--state', '--user', '--team', '--project']);
const BOOLEAN = new Set(['--json', '--quiet', '--no-progress']);

function parse(argv: readonly string[]): QuickFlags | undefined {
  const f: QuickFlags = { source: 'all', dir: undefined, json: false, quiet: false };
  // A flag given twice is refused by the full program (cli/flag-values.ts), not taken here as its last.
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    if (BOOLEAN.has(arg) && value === undefined) {
      if (arg === '--json') f.json = true;
      if (arg === '--quiet') f.quiet = true;
      continue;
    }
    if (!VALUED.has(arg) || (arg !== '--dir' && given.has(arg))) return undefined;
    given.add(arg);
    value ??= argv[++i];
    if (!value || value.startsWith('--')) return undefined;
    if (arg === '--source') {
      if (value !== 'all' && !(SOURCE_NAMES as readonly string[]).includes(value)) return undefined;
      f.source = value;
    } else if (arg === '--dir') (f.dir ??= []).push(value);
    else if (arg === '--config') f.config = value;
    else if (arg === '--db') f.db = value;
    else if (arg === '--push') f.push = value;
    else if (arg === '--state') f.state = value;
  }
  if (f.dir && f.source === 'all') return undefined;
  return f;
}
