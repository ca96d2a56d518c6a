import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import { claudeRowId } from './claude-code/adapter.js';
import { importer, logDir } from './testing/fixtures.js';
import { type WriteLedger, writeChanges } from './write.js';

const SESSION = '22222222-2222-4222-8222-222222222222';
const file = `projects/-home-dev-app/${SESSION}.jsonl`;
const message = { id: 'msg_prog1', model: 'claude-sonnet-4-5-20250929', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 200, output_tokens: 50 } };
/** A sub-agent's progress line wrapping a replay of the parent message (`data.message`, isSidechain), then the parent line itself. */
const progress = { type: 'progress', isSidechain: false, cwd: '/home/dev/app', sessionId: SESSION, uuid: 'u-prog', timestamp: '2026-11-20T09:00:02.000Z', data: { message: { type: 'assistant', timestamp: '2026-11-20T09:00:02.000Z', requestId: 'req_prog1', isSidechain: true, message } } };
const parent = { type: 'assistant', isSidechain: false, cwd: '/home/dev/app', sessionId: SESSION, uuid: 'u-parent', timestamp: '2026-11-20T09:00:03.000Z', requestId: 'req_prog2', message };

/** A ledger in memory, as storage behaves: upserts replace by id, removals delete what is there, inserts keep what is there. */
function memoryLedger(rows: LedgerRow[] = []) {
  const stored = new Map(rows.map((r) => [r.id, r]));
  const insert = (list: readonly LedgerRow[]) => Promise.resolve(list.filter((r) => !stored.has(r.id) && Boolean(stored.set(r.id, r))).length);
  const ledger: WriteLedger = {
    insert,
    insertCharged: insert,
    upsert: (list, remove = []) => {
      for (const id of remove) stored.delete(id);
      for (const r of list) stored.set(r.id, r);
      return Promise.resolve(list.length);
    },
    get: (id) => Promise.resolve(stored.get(id)),
    firstTs: () => Promise.resolve(stored.size === 0 ? undefined : Math.min(...[...stored.values()].map((r) => r.ts))),
  };
  return { ledger, stored };
}

async function importInto(ledger: WriteLedger, run: ReturnType<ReturnType<typeof importer>['run']>) {
  return writeChanges(ledger, run.written, run.removed, { charge: false, batch: 1000 });
}

describe('writing a log import', () => {
  it('counts no removal on a first import, where the sidechain copy was replaced by its parent within the run, and keeps the parent', async () => {
    for (const before of [[], [sampleRow({ id: 'other' })]]) {
      const { ledger, stored } = memoryLedger(before);
      const run = importer('claude-code', logDir({ [file]: [progress, parent] }).dir).run();
      // The removal is still sent: an earlier run (before a --full, a lost state) may have stored the sidechain copy.
      expect(run.removed).toEqual([claudeRowId('msg_prog1', 'req_prog1')]);
      expect(await importInto(ledger, run)).toEqual({ written: { 'claude-code-log': 1 }, removed: 0 });
      const kept = stored.get(claudeRowId('msg_prog1', 'req_prog2'));
      expect(kept).toMatchObject({ upstreamRequestId: 'req_prog2', responseId: 'msg_prog1', outputTokens: 50, cacheReadTokens: 200, cacheWriteTokens: 100 });
      expect([...stored.keys()].sort()).toEqual([...before.map((r) => r.id), kept!.id].sort());
    }
  });

  it('counts the sidechain row an earlier run stored, once its parent displaces it', async () => {
    const { ledger, stored } = memoryLedger();
    const logs = logDir({ [file]: [progress] });
    const imp = importer('claude-code', logs.dir);
    expect(await importInto(ledger, imp.run())).toEqual({ written: { 'claude-code-log': 1 }, removed: 0 });
    expect([...stored.keys()]).toEqual([claudeRowId('msg_prog1', 'req_prog1')]);
    logs.append(file, JSON.stringify(parent) + '\n');
    expect(await importInto(ledger, imp.run())).toEqual({ written: { 'claude-code-log': 1 }, removed: 1 });
    expect([...stored.values()].map((r) => r.upstreamRequestId)).toEqual(['req_prog2']);
  });
});
