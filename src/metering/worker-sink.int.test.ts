import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { openSqliteLedger } from '../storage/sqlite/ledger.js';
import { sampleRow } from '../storage/testing/rows.js';
import { LedgerWriter } from './ledger-writer.js';
import { WorkerLedgerSink } from './worker-sink.js';

describe('WorkerLedgerSink', () => {
  it('starts a new worker when its worker dies, and commits the next batches', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-worker-sink-')), 'ledger.db');
    const sink = await WorkerLedgerSink.start({ kind: 'sqlite', path });
    expect(await sink.insert([sampleRow({ id: 'a' })])).toBe(1);
    const first = (sink as unknown as { worker: Worker }).worker;
    await first.terminate();
    expect(await sink.insert([sampleRow({ id: 'b' }), sampleRow({ id: 'c' })])).toBe(2);
    expect((sink as unknown as { worker: Worker }).worker).not.toBe(first);
    await sink.close();
    await expect(sink.insert([sampleRow({ id: 'd' })])).rejects.toThrow(/closed/);
    const stored = openSqliteLedger(path);
    expect((await stored.ledger.get('c'))?.id).toBe('c');
    expect(await stored.ledger.get('d')).toBeUndefined();
    await stored.close();
  });

  it('answers a ping through its worker, so that a row storage refuses is set aside and the rest committed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tg-worker-sink-')), 'ledger.db');
    const sink = await WorkerLedgerSink.start({ kind: 'sqlite', path });
    await sink.ping();
    const setAside: string[] = [];
    const w = new LedgerWriter(sink, undefined, { flushIntervalMs: 1, setAside: (r) => setAside.push(r.id) > 0 });
    for (const id of ['a', 'b', 'c']) w.record(sampleRow({ id }));
    w.record(sampleRow({ id: 'refused', costPicos: 2n ** 200n }));
    w.record(sampleRow({ id: 'd' }));
    await w.close();
    await sink.close();
    expect(setAside).toEqual(['refused']);
    const stored = openSqliteLedger(path);
    for (const id of ['a', 'b', 'c', 'd']) expect((await stored.ledger.get(id))?.id).toBe(id);
    await stored.close();
  });
});
