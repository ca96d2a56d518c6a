import { appendFileSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.js';
import { discover } from './discover.js';
import { quickImport } from './quick-check.js';
import { readNew } from './run.js';
import { emptyState, loadState, saveState } from './state.js';
import { logDir } from './testing/fixtures.js';

const line = { type: 'assistant', timestamp: '2026-11-20T09:00:00.000Z', requestId: 'req_1', message: { id: 'msg_1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 3, output_tokens: 5 } } };
const FILES = { 'projects/-home-dev-app/s1.jsonl': [line], 'projects/-home-dev-app/s1/subagents/agent-1.jsonl': [line], 'projects/-home-dev-web/s2.jsonl': [line] };
const HOUR_AGO = new Date(Date.now() - 3_600_000);

/** Every directory under `dir`, deepest first (setting a child's mtime does not touch its parent's). */
function dirsUnder(dir: string): string[] {
  const sub = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...sub.flatMap((e) => dirsUnder(join(dir, e.name))), dir];
}

/** A log folder, a full import of it saved as the CLI saves it, and the quick check's arguments. */
function imported(o: { settled: boolean }) {
  const logs = logDir(FILES);
  const root = join(logs.dir, 'projects');
  if (o.settled) for (const d of dirsUnder(logs.dir)) utimesSync(d, HOUR_AGO, HOUR_AGO);
  const statePath = join(logs.dir, 'state', 'import.json');
  const r = readNew({ found: discover(['claude-code'], {}, [logs.dir]), state: emptyState('test'), memory: {}, attribution: { user: 'dev', team: null, project: null }, price: createPricer(), projectOf: (c) => c });
  saveState(statePath, { ...r.state, configStamp: null }, r.memory);
  const args = ['--source', 'claude-code', '--dir', logs.dir, '--state', statePath, '--json'];
  const quick = (extra: string[] = []) => {
    let out = '';
    const code = quickImport([...args, ...extra], {}, (t) => (out += t));
    return { code, out };
  };
  return { logs, root, statePath, quick };
}

describe('quick no-change check', () => {
  it('answers from stats when nothing changed, without listing settled directories', () => {
    const { root, statePath, quick } = imported({ settled: true });
    const dirs = loadState(statePath)!.dirs!;
    expect(Object.keys(dirs).sort()).toEqual([root, `${root}/-home-dev-app`, `${root}/-home-dev-app/s1`, `${root}/-home-dev-app/s1/subagents`, `${root}/-home-dev-web`]);
    expect(Object.values(dirs).every((m) => typeof m === 'number')).toBe(true);
    expect(quick()).toEqual({ code: 0, out: JSON.stringify({ filesSeen: 3, filesRead: 0, bytesRead: 0, written: 0, removed: 0, sources: {} }) + '\n' });
  });

  it('sees a file appended to', () => {
    const { logs, quick } = imported({ settled: true });
    appendFileSync(join(logs.dir, 'projects/-home-dev-web/s2.jsonl'), JSON.stringify(line) + '\n');
    expect(quick().code).toBeUndefined();
  });

  it('sees a new file in a settled directory (its mtime moved)', () => {
    const { logs, quick } = imported({ settled: true });
    logs.write('projects/-home-dev-app/s1/subagents/agent-2.jsonl', [line]);
    expect(quick().code).toBeUndefined();
  });

  it('sees a new file in a directory listed too soon after a change, even if its mtime did not move', () => {
    const { logs, root, statePath, quick } = imported({ settled: false });
    expect(loadState(statePath)!.dirs![`${root}/-home-dev-web`]).toBeNull();
    const dir = join(root, '-home-dev-web');
    const before = statSync(dir);
    logs.write('projects/-home-dev-web/s3.jsonl', [line]);
    utimesSync(dir, before.atime, before.mtime); // a creation within the same clock tick
    expect(quick().code).toBeUndefined();
  });

  it('lists unsettled directories and still answers when they hold nothing new', () => {
    const { logs, quick } = imported({ settled: false });
    writeFileSync(join(logs.dir, 'projects/-home-dev-app/notes.txt'), 'not a log');
    expect(quick().code).toBe(0);
  });

  it('sees a new directory, a removed file and a removed directory', () => {
    const a = imported({ settled: true });
    mkdirSync(join(a.root, '-home-dev-new'));
    expect(a.quick().code).toBeUndefined();
    const b = imported({ settled: true });
    rmSync(join(b.root, '-home-dev-web/s2.jsonl'));
    expect(b.quick().code).toBeUndefined();
    const c = imported({ settled: true });
    rmSync(join(c.root, '-home-dev-app/s1'), { recursive: true });
    expect(c.quick().code).toBeUndefined();
  });

  it('goes the full way for a root it never walked, or a state saved without directory stamps', () => {
    const { statePath, quick } = imported({ settled: true });
    const other = logDir(FILES);
    expect(quickImport(['--source', 'claude-code', '--dir', other.dir, '--state', statePath], {}, () => undefined)).toBeUndefined();
    const state = loadState(statePath)!;
    delete state.dirs;
    saveState(statePath, state);
    expect(quick().code).toBeUndefined();
  });

  it('goes the full way for a flag given twice, which the full program refuses, rather than take the last', () => {
    const { quick } = imported({ settled: true });
    expect(quick().code).toBe(0);
    expect(quick(['--db', 'a.db', '--db', 'b.db']).code).toBeUndefined();
    expect(quick(['--state', 'a.json']).code).toBeUndefined();
    // An empty value (`--config "$CONFIG"`, CONFIG unset) is the full program's to refuse, not read as none.
    expect(quick(['--config', '']).code).toBeUndefined();
  });
});
