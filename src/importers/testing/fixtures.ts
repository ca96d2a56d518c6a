import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LedgerRow } from '../../core/ledger-row.js';
import { createPricer } from '../../pricing/index.js';
import { type SourceName, discover } from '../discover.js';
import { readNew } from '../run.js';
import { type AdapterMemory, type ImportState, emptyState } from '../state.js';

/** A directory of log files for a test; paths are relative to it. */
export function logDir(files: Record<string, readonly object[]> = {}): { dir: string; write(path: string, lines: readonly object[]): void; append(path: string, text: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-logs-'));
  const write = (path: string, lines: readonly object[]) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), lines.map((l) => JSON.stringify(l) + '\n').join(''));
  };
  for (const [path, lines] of Object.entries(files)) write(path, lines);
  return { dir, write, append: (path, text) => appendFileSync(join(dir, path), text) };
}

/** An importer over one directory, keeping its state between `run()` calls like the CLI does. */
export function importer(source: SourceName, dir: string) {
  let state: ImportState = emptyState('test');
  let memory: AdapterMemory = {};
  const price = createPricer();
  return {
    run() {
      const r = readNew({ found: discover([source], {}, [dir]), state, memory, attribution: { user: 'dev', team: null, project: null }, price, projectOf: (cwd) => cwd.split('/').pop()! });
      state = r.state;
      memory = r.memory;
      const rows = r.changes.rows();
      // `written`: the rows as the CLI writes them, plain inserts (kept if present) and upserts.
      return { rows, removed: [...r.changes.removed], written: r.changes.split(rows, false), filesRead: r.filesRead, bytesRead: r.bytesRead, tooEarly: r.tooEarly };
    },
  };
}

/** Token sums of rows, in Claude Code's terms (input without cache). */
export function sums(rows: readonly LedgerRow[]) {
  return rows.reduce(
    (a, r) => ({
      rows: a.rows + 1,
      input: a.input + r.inputTokens - r.cacheReadTokens - r.cacheWriteTokens,
      output: a.output + r.outputTokens,
      cacheWrite: a.cacheWrite + r.cacheWriteTokens,
      cacheRead: a.cacheRead + r.cacheReadTokens,
    }),
    { rows: 0, input: 0, output: 0, cacheWrite: 0, cacheRead: 0 },
  );
}
