import type { LedgerRow } from '../core/ledger-row.js';
import type { RunContext, SourceAdapter } from './adapter.js';
import type { Attribution } from './attribution.js';
import { Changes } from './changes.js';
import { claudeCodeAdapter } from './claude-code/adapter.js';
import { codexAdapter } from './codex/adapter.js';
import type { Found, SourceName } from './discover.js';
import { type ScanResult, scanLines } from './lines.js';
import type { ImportPricer } from './row.js';
import { checkedResumePoint, fingerprintOf } from './file-mark.js';
import { type AdapterMemory, type ImportState, afterWalk, resumePoint } from './state.js';

export const ADAPTERS: Record<SourceName, SourceAdapter> = { 'claude-code': claudeCodeAdapter, codex: codexAdapter };

export interface ReadOptions {
  found: readonly Found[];
  state: ImportState;
  memory: AdapterMemory;
  attribution: Attribution;
  price: ImportPricer;
  projectOf: (cwd: string) => string;
  /** Bytes read so far, and the total to read. */
  progress?: (done: number, total: number) => void;
}

export interface ReadResult {
  changes: Changes;
  /** The state and memory to save once the changes are written. */
  state: ImportState;
  memory: AdapterMemory;
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  /** Usage lines refused for a time before EARLIEST_TIME, per row source. */
  tooEarly: Record<string, number>;
}

/** Files whose bytes changed since the state was saved. Only stats, no reads. */
export function changedFiles(found: ReadOptions['found'], state: ImportState): number {
  let n = 0;
  for (const { files } of found) for (const f of files) if (resumePoint(f, state.files[f.path])) n++;
  return n;
}

/**
 * Reads what each source's files gained since the last run, in path order, and returns
 * the ledger changes with the state to keep. Synchronous and streaming: one buffer per file.
 */
export function readNew(o: ReadOptions): ReadResult {
  const changes = new Changes();
  const state: ImportState = { ...o.state, files: { ...o.state.files } };
  const memory: AdapterMemory = { ...o.memory };
  const todo = o.found.flatMap(({ source, files }) => files.map((f) => ({ source, f, at: checkedResumePoint(f, state.files[f.path]) }))).filter((x) => x.at);
  const total = todo.reduce((a, x) => a + x.f.size - x.at!.from, 0);
  let done = 0;
  const tooEarly: Record<string, number> = {};
  for (const { source } of o.found) {
    const adapter = ADAPTERS[source];
    const mine = todo.filter((x) => x.source === source);
    if (mine.length === 0) continue;
    const ctx: RunContext = { attribution: o.attribution, price: o.price, projectOf: o.projectOf, changes, tooEarly: () => void (tooEarly[adapter.rowSource] = (tooEarly[adapter.rowSource] ?? 0) + 1) };
    const run = adapter.start(ctx, memory[source]);
    for (const { f, at } of mine) {
      run.beginFile(f, at!.state);
      const result: ScanResult = scanLines(
        f.path,
        at!.from,
        (buf, start, end, tail) => {
          let text = buf.toString('utf8', start, end);
          // A file saved with a byte-order mark (an editor, a copy through another system) starts with one.
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          if (!tail) run.line(text);
          else if (isWholeJson(text)) run.line(text);
        },
        adapter.marker,
        (n) => {
          done += n;
          o.progress?.(done, total);
        },
        fingerprintOf,
      );
      const fileState = run.endFile();
      const mark = result.mark;
      state.files[f.path] = { source, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, offset: result.end, ...(mark === undefined ? {} : { mark }), ...(fileState === undefined ? {} : { state: fileState }) };
      // The file may have grown while it was read: the recorded size then differs, and the next run reads on.
      if (at!.from + result.bytes !== f.size) state.files[f.path]!.size = -1;
    }
    memory[source] = run.memory();
  }
  return { changes, state: afterWalk(state, o.found), memory, filesSeen: o.found.reduce((a, f) => a + f.files.length, 0), filesRead: todo.length, bytesRead: done, tooEarly };
}

/** A last line without its newline is used only if it is complete JSON (the writer may be mid-line). */
function isWholeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export interface SourceTotals {
  rows: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  costPicos: bigint;
  unpriced: number;
}

export const emptySourceTotals = (): SourceTotals => ({ rows: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, costPicos: 0n, unpriced: 0 });

/** Totals of the rows a run adds or replaces, per source. */
export function totalsBySource(rows: Iterable<LedgerRow>): Record<string, SourceTotals> {
  const out: Record<string, SourceTotals> = {};
  for (const r of rows) {
    const t = (out[r.source] ??= emptySourceTotals());
    t.rows++;
    t.inputTokens += r.inputTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    t.cacheWriteTokens += r.cacheWriteTokens;
    t.outputTokens += r.outputTokens;
    t.costPicos += r.costPicos ?? 0n;
    if (r.unpriced) t.unpriced++;
  }
  return out;
}
