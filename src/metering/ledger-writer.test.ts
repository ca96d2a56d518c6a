import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageUnavailableError } from '../core/errors.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import type { LedgerSink } from './ledger-sink.js';
import { LedgerWriter } from './ledger-writer.js';
import { encodeRow } from './row-codec.js';
import { Spool } from './spool.js';
import { recoverSpools } from './journal-files.js';

/** A sink that refuses any batch holding a row with a "bad" id, the way a driver refuses a value it cannot bind. */
function pickyStore() {
  const store = {
    rows: new Map<string, LedgerRow>(),
    inserts: 0,
    down: false,
    trouble: undefined as string | undefined,
    insert(rows: readonly LedgerRow[]): Promise<number> {
      store.inserts++;
      if (store.down) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      if (store.trouble) return Promise.reject(Object.assign(new Error('database is locked'), { code: store.trouble }));
      if (rows.some((r) => r.id.startsWith('bad'))) return Promise.reject(new RangeError(`cannot store ${rows.find((r) => r.id.startsWith('bad'))!.id}`));
      for (const r of rows) store.rows.set(r.id, r);
      return Promise.resolve(rows.length);
    },
    ping: (): Promise<void> => (store.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()),
  } satisfies LedgerSink & Record<string, unknown>;
  return store;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('LedgerWriter and a row storage refuses', () => {
  it('sets the row aside and commits every other row, before and after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-refused-'));
    const store = pickyStore();
    const setAside: LedgerRow[] = [];
    const w = new LedgerWriter(store, new Spool(dir), { flushIntervalMs: 1, maxBatch: 64, isStorageTrouble: (e) => (e as { code?: string }).code !== undefined, setAside: (r) => setAside.push(r) > 0 });
    const good = ids('r', 100);
    for (const id of good.slice(0, 37)) w.record(sampleRow({ id }));
    w.record(sampleRow({ id: 'bad-1' }));
    for (const id of good.slice(37)) w.record(sampleRow({ id }));
    await w.flush();
    expect([...store.rows.keys()].sort()).toEqual([...good].sort());
    expect(setAside.map((r) => r.id)).toEqual(['bad-1']);
    // Halving a batch of 64 finds the row in 6 tries, then 3 strikes; not one try per row.
    expect(store.inserts).toBeLessThan(20);
    await w.close();
    // Everything is in storage or set aside: the spool's file goes.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('sets aside several such rows of one batch', async () => {
    const store = pickyStore();
    const setAside: string[] = [];
    const w = new LedgerWriter(store, undefined, { flushIntervalMs: 1, maxBatch: 16, setAside: (r) => setAside.push(r.id) > 0 });
    for (const id of ['a', 'bad-1', 'b', 'c', 'bad-2', 'd', 'bad-3']) w.record(sampleRow({ id }));
    await w.flush();
    expect(setAside).toEqual(['bad-1', 'bad-2', 'bad-3']);
    expect([...store.rows.keys()]).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sets nothing aside while storage does not answer, and commits all once it does', async () => {
    const store = pickyStore();
    store.down = true;
    const setAside: string[] = [];
    const w = new LedgerWriter(store, undefined, { flushIntervalMs: 1, setAside: (r) => setAside.push(r.id) > 0 });
    for (const id of ids('r', 5)) w.record(sampleRow({ id }));
    for (let i = 0; i < 5; i++) await w.flush().catch(() => undefined);
    expect(setAside).toEqual([]);
    expect(w.pending).toBe(5);
    store.down = false;
    await w.flush();
    expect([...store.rows.keys()]).toEqual(ids('r', 5));
  });

  it("never sets aside a row that failed for storage's own trouble, even with storage answering", async () => {
    const store = pickyStore();
    store.trouble = 'SQLITE_BUSY';
    const setAside: string[] = [];
    const w = new LedgerWriter(store, undefined, { flushIntervalMs: 1, isStorageTrouble: (e) => (e as { code?: string }).code === 'SQLITE_BUSY', setAside: (r) => setAside.push(r.id) > 0 });
    w.record(sampleRow({ id: 'r0' }));
    for (let i = 0; i < 6; i++) await w.flush().catch(() => undefined);
    expect(setAside).toEqual([]);
    store.trouble = undefined;
    await w.flush();
    expect([...store.rows.keys()]).toEqual(['r0']);
  });

  it('keeps the row queued while it cannot be set aside', async () => {
    const store = pickyStore();
    let writable = false;
    const setAside: string[] = [];
    const w = new LedgerWriter(store, undefined, { flushIntervalMs: 1, setAside: (r) => writable && setAside.push(r.id) > 0 });
    w.record(sampleRow({ id: 'bad-1' }));
    w.record(sampleRow({ id: 'after' }));
    await expect(w.flush()).rejects.toThrow(/storage is failing/);
    expect(w.pending).toBe(2);
    writable = true;
    await w.flush();
    expect(setAside).toEqual(['bad-1']);
    expect([...store.rows.keys()]).toEqual(['after']);
  });
});

describe('recoverSpools and a row storage refuses', () => {
  const deadSpool = (rows: LedgerRow[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-refused-'));
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    writeFileSync(join(dir, 'spool-4194305-1-abc.jsonl'), rows.map(encodeRow).join(''));
    return dir;
  };

  it('replays the other rows and sets the refused one aside, so a start is not stopped by it', async () => {
    const dir = deadSpool([sampleRow({ id: 'a' }), sampleRow({ id: 'bad-1' }), sampleRow({ id: 'b' })]);
    const store = pickyStore();
    const setAside: string[] = [];
    expect((await recoverSpools(dir, (r) => store.insert(r), { setAside: (r) => setAside.push(r.id) > 0 })).rows).toBe(2);
    expect([...store.rows.keys()]).toEqual(['a', 'b']);
    expect(setAside).toEqual(['bad-1']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("stops, keeping the file, on storage's own trouble", async () => {
    const dir = deadSpool([sampleRow({ id: 'a' })]);
    const store = pickyStore();
    store.down = true;
    await expect(recoverSpools(dir, (r) => store.insert(r), { isStorageTrouble: () => true, setAside: () => true })).rejects.toThrow(/ECONNREFUSED/);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe('LedgerWriter hands the spool lines only to a sink that takes them', () => {
  const run = async (takesLines: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-lines-'));
    const got: (readonly string[] | undefined)[] = [];
    const sink: LedgerSink = { takesLines, insert: (rows, lines) => (got.push(lines), Promise.resolve(rows.length)) };
    const w = new LedgerWriter(sink, new Spool(dir), { flushIntervalMs: 1 });
    const rows = ids('l', 3).map((id) => sampleRow({ id }));
    for (const r of rows) w.record(r);
    await w.close();
    // Committed rows count towards the spool's file either way: it is deleted once all are in.
    expect(readdirSync(dir)).toEqual([]);
    return { got, rows };
  };

  it('a worker thread gets each row as the spool encoded it', async () => {
    const { got, rows } = await run(true);
    expect(got).toEqual([rows.map(encodeRow)]);
  });

  it('storage itself gets the rows alone', async () => {
    const { got } = await run(false);
    expect(got).toEqual([undefined]);
  });
});

describe('LedgerWriter.flushForRead', () => {
  /** A sink whose every insert waits until the test answers it. */
  const heldSink = () => {
    const calls: { ids: string[]; answer: (err?: Error) => void }[] = [];
    const sink: LedgerSink = {
      insert: (rows) =>
        new Promise<number>((ok, fail) => calls.push({ ids: rows.map((r) => r.id), answer: (err) => (err ? fail(err) : ok(rows.length)) })),
    };
    return { sink, calls };
  };
  const settled = async (p: Promise<unknown>) => {
    let done = false;
    void p.then(() => (done = true), () => (done = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return done;
  };

  it('waits for the rows recorded before it, not for those recorded after', async () => {
    const { sink, calls } = heldSink();
    const w = new LedgerWriter(sink, undefined, { flushIntervalMs: 60_000 });
    w.record(sampleRow({ id: 'before' }));
    const read = w.flushForRead(60_000);
    w.record(sampleRow({ id: 'after' }));
    expect(calls.map((c) => c.ids)).toEqual([['before']]);
    expect(await settled(read)).toBe(false);
    calls[0]!.answer();
    await read;
    expect(w.pending).toBe(1);
    const closing = w.close();
    calls[1]!.answer();
    await closing;
  });

  it('fails at once while storage is failing, trying no batch of its own', async () => {
    const store = pickyStore();
    store.down = true;
    const w = new LedgerWriter(store, undefined, { flushIntervalMs: 60_000, isStorageTrouble: () => true });
    w.record(sampleRow({ id: 'a' }));
    await expect(w.flush()).rejects.toThrow(StorageUnavailableError);
    const tries = store.inserts;
    await expect(w.flushForRead(60_000)).rejects.toThrow(StorageUnavailableError);
    expect(store.inserts).toBe(tries);
    store.down = false;
    await w.close();
  });

  it('fails once its wait is over while a batch gets no answer, the batch left to finish', async () => {
    const { sink, calls } = heldSink();
    const w = new LedgerWriter(sink, undefined, { flushIntervalMs: 60_000 });
    w.record(sampleRow({ id: 'a' }));
    await expect(w.flushForRead(20)).rejects.toThrow(new StorageUnavailableError('ledger: the rows recorded before this read were not committed within 20 ms; they stay in the spool'));
    calls[0]!.answer();
    await w.close();
    expect(w.pending).toBe(0);
  });
});
