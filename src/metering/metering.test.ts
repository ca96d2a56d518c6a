import { closeSync, mkdtempSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { zeroUsage } from '../core/usage.js';
import { sampleRow } from '../storage/testing/rows.js';
import type { LedgerStore } from '../storage/ports.js';
import { buildRow, newFacts } from './build-row.js';
import { estimateInputTokens } from './estimate.js';
import { LedgerWriter } from './ledger-writer.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { Spool } from './spool.js';
import { isZombie, journalsOpenedHere, openJournalFile, recoverSpools, removeJournal } from './journal-files.js';

function memoryLedger(failTimes = 0): Omit<LedgerStore, 'upsert'> & { rows: Map<string, LedgerRow>; calls: number; failTimes: number } {
  const store = {
    rows: new Map<string, LedgerRow>(),
    calls: 0,
    failTimes,
    insert(rows: readonly LedgerRow[]) {
      store.calls += 1;
      if (store.calls <= store.failTimes) return Promise.reject(new Error('database is locked'));
      let n = 0;
      for (const r of rows) if (!store.rows.has(r.id) && store.rows.set(r.id, r)) n++;
      return Promise.resolve(n);
    },
    ping: () => Promise.resolve(),
    get: () => Promise.resolve(undefined),
    attempts: () => Promise.resolve([]),
    firstTs: () => Promise.resolve(undefined),
    scan: async function* () {},
    cacheRows: async function* () {},
    aggregate: () => Promise.resolve([]),
    topShare: () => Promise.resolve({ groups: 0, top: 0, topCostPicos: 0n, costPicos: 0n }),
    ruleTotals: () => Promise.resolve([]),
    longRequests: () => Promise.resolve([]),
    tieredRequests: () => Promise.resolve([]),
    requestPoints: () => Promise.resolve([]),
    repeatedSteps: () => Promise.resolve([]),
    warmCacheUse: () => Promise.resolve([]),
    releaseCacheUse: () => Promise.resolve([]),
    callerTotals: () => Promise.resolve([]),
    failedRequestIds: () => Promise.resolve([]),
    exampleRequestIds: () => Promise.resolve([]),
    sessionHours: () => Promise.resolve([]),
    arrivalCursor: () => Promise.resolve('0'),
    arrivedSince: () => Promise.resolve({ cursor: '0', buckets: [] }),
    watchCursor: () => Promise.resolve(undefined),
    saveWatchCursor: () => Promise.resolve(),
    pendingResponse: () => Promise.resolve(undefined),
    pendingResponses: () => Promise.resolve([]),
    responseContext: () => Promise.resolve(undefined),
    geminiCacheTokens: () => Promise.resolve(undefined),
    insertNew: () => Promise.reject(new Error('not used here')),
    insertCharged: () => Promise.reject(new Error('not used here')),
    takeCharges: () => Promise.resolve([]),
    pendingCharges: () => Promise.resolve([]),
    budgetsStored: () => Promise.resolve(false),
  };
  return store;
}

describe('metering', () => {
  it('round-trips rows through the spool format, money included', () => {
    const row = sampleRow({ costPicos: 2n ** 70n, tags: { a: 'b' } });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('replays a spool left by a dead process, skipping a torn last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const rows = [sampleRow({ id: 'a' }), sampleRow({ id: 'b' })];
    // pid 2^22+1 is above Linux's pid_max default, so no live process owns it.
    writeFileSync(join(dir, 'spool-4194305-1-x.jsonl'), rows.map(encodeRow).join('') + '{"id":"c","ts');
    const ledger = memoryLedger();
    expect((await recoverSpools(dir, (r) => ledger.insert(r))).rows).toBe(2);
    expect([...ledger.rows.keys()]).toEqual(['a', 'b']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replays a spool left by an earlier process that had this process\'s pid (a restarted container is pid 1 again)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    writeFileSync(join(dir, `spool-${process.pid}-1-x.jsonl`), encodeRow(sampleRow({ id: 'before-restart' })));
    const ledger = memoryLedger();
    expect((await recoverSpools(dir, (r) => ledger.insert(r))).rows).toBe(1);
    expect([...ledger.rows.keys()]).toEqual(['before-restart']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves the spool of a live process alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const spool = new Spool(dir);
    spool.append(sampleRow({ id: 'live' }));
    const ledger = memoryLedger();
    expect((await recoverSpools(dir, (r) => ledger.insert(r))).rows).toBe(0);
    spool.close();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('forgets the journal files it opened once they are removed, and still leaves alone the ones it keeps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const before = journalsOpenedHere();
    for (let i = 0; i < 50; i++) new Spool(dir).close();
    // Removed by another replica recovering it first: forgotten too.
    const gone = openJournalFile(dir, 'spool');
    closeSync(gone.fd);
    unlinkSync(gone.path);
    removeJournal(gone.path);
    expect(readdirSync(dir)).toEqual([]);
    expect(journalsOpenedHere()).toBe(before);
    // A file kept at close (its row not in storage) is still this process's: not replayed as a dead one's.
    const kept = new Spool(dir);
    kept.append(sampleRow({ id: 'kept' }));
    kept.close();
    expect(journalsOpenedHere()).toBe(before + 1);
    expect((await recoverSpools(dir, () => Promise.resolve(1))).rows).toBe(0);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('writes the rows one callback appends together, and releases waiters only once they are written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const spool = new Spool(dir);
    const file = () => readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    spool.append(sampleRow({ id: 'a' }));
    spool.append(sampleRow({ id: 'b' }));
    const seen: string[] = [];
    spool.afterWrite(() => seen.push(file()));
    expect(file()).toBe('');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([encodeRow(sampleRow({ id: 'a' })) + encodeRow(sampleRow({ id: 'b' }))]);
    let now = false;
    spool.afterWrite(() => (now = true));
    expect(now).toBe(true);
    spool.close();
  });

  it('writes a row alone at the end of the turn, and two or more as soon as the callback that appended them is done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const spool = new Spool(dir);
    const file = () => readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
    const line = (id: string) => encodeRow(sampleRow({ id }));
    const released: string[] = [];
    spool.append(sampleRow({ id: 'a' }));
    spool.afterWrite(() => released.push('a'));
    await Promise.resolve();
    expect(file()).toBe('');
    expect(released).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(file()).toBe(line('a'));
    expect(released).toEqual(['a']);

    spool.append(sampleRow({ id: 'b' }));
    spool.afterWrite(() => released.push('b'));
    spool.append(sampleRow({ id: 'c' }));
    spool.afterWrite(() => released.push('c'));
    expect(file()).toBe(line('a'));
    await Promise.resolve();
    expect(file()).toBe(line('a') + line('b') + line('c'));
    expect(released).toEqual(['a', 'b', 'c']);

    // A third row appended by the same callback joins the write rather than waiting alone.
    for (const id of ['d', 'e', 'f']) spool.append(sampleRow({ id }));
    await Promise.resolve();
    expect(file()).toBe(line('a') + line('b') + line('c') + line('d') + line('e') + line('f'));
    spool.close();
  });

  it('commits in batches, retries a failing store, and deletes the spool once all is committed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const ledger = memoryLedger(2);
    const errors: unknown[] = [];
    let recovered = 0;
    const w = new LedgerWriter(ledger, new Spool(dir), { flushIntervalMs: 1, maxBatch: 2, onError: (e) => errors.push(e), onRecovered: () => recovered++ });
    for (const id of ['1', '2', '3']) w.record(sampleRow({ id }));
    await expect(w.flush()).rejects.toThrow(/storage is failing/);
    expect(recovered).toBe(0);
    await w.flush().catch(() => undefined);
    await w.close();
    expect([...ledger.rows.keys()]).toEqual(['1', '2', '3']);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(recovered).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports each failed spool write, and the first that succeeds after them; the writer says whether rows reach the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const events: string[] = [];
    const spool = new Spool(dir, () => events.push('failed'), () => events.push('recovered'));
    const w = new LedgerWriter(memoryLedger(), spool, { flushIntervalMs: 60_000 });
    const file = spool as unknown as { fd: number };
    const fd = file.fd;
    spool.append(sampleRow({ id: '0' }));
    spool.flush();
    file.fd = -1; // every write now fails, as on a full disk
    for (const id of ['1', '2']) {
      spool.append(sampleRow({ id }));
      spool.flush();
    }
    expect(w.journaling).toBe(false);
    file.fd = fd;
    for (const id of ['3', '4']) {
      spool.append(sampleRow({ id }));
      spool.flush();
    }
    expect(events).toEqual(['failed', 'failed', 'recovered']);
    expect(w.journaling).toBe(true);
  });

  it('holds at most maxQueued rows in memory while storage is down, and commits the rest from the spool in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const ledger = memoryLedger(Infinity);
    const w = new LedgerWriter(ledger, new Spool(dir), { flushIntervalMs: 1, maxBatch: 4, maxQueued: 10 });
    // Non-ASCII text, so that byte offsets and string lengths differ.
    const ids = Array.from({ length: 57 }, (_, i) => `r${i}`);
    for (const id of ids) {
      w.record(sampleRow({ id, user: 'zoë ✓', tags: { note: '長い' } }));
      // Spread over event-loop turns, so that the spool writes in several pieces.
      if (Number(id.slice(1)) % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(w.queued).toBe(10);
    expect(w.pending).toBe(57);
    await expect(w.flush()).rejects.toThrow(/storage is failing/);
    ledger.failTimes = 0;
    await w.close();
    expect([...ledger.rows.keys()]).toEqual(ids);
    expect(ledger.rows.get('r56')).toEqual(sampleRow({ id: 'r56', user: 'zoë ✓', tags: { note: '長い' } }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a batch storage leaves unanswered, and commits it on a later try', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const ledger = memoryLedger();
    const insert = ledger.insert.bind(ledger);
    let calls = 0;
    ledger.insert = (rows) => (++calls === 1 ? new Promise<number>(() => undefined) : insert(rows));
    const errors: unknown[] = [];
    const w = new LedgerWriter(ledger, new Spool(dir), { flushIntervalMs: 1, commitTimeoutMs: 20, onError: (e) => errors.push(e) });
    w.record(sampleRow({ id: 'a' }));
    await expect(w.flush()).rejects.toThrow(/storage is failing/);
    expect(String(errors[0])).toContain('storage did not confirm the batch within 20 ms');
    await w.close();
    expect([...ledger.rows.keys()]).toEqual(['a']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a row recorded after close in a spool file of its own, which the next start replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spool-'));
    const ledger = memoryLedger();
    const errors: unknown[] = [];
    const w = new LedgerWriter(ledger, new Spool(dir, (e) => errors.push(e)), { flushIntervalMs: 1 });
    w.record(sampleRow({ id: 'before' }));
    await w.close();
    expect(readdirSync(dir)).toEqual([]);
    w.record(sampleRow({ id: 'late' }));
    let journaled = false;
    w.afterJournal(() => (journaled = true));
    await new Promise((r) => setImmediate(r));
    expect(journaled).toBe(true);
    expect(errors).toEqual([]);
    expect([...ledger.rows.keys()]).toEqual(['before']);
    const [late] = readdirSync(dir);
    expect(readFileSync(join(dir, late!), 'utf8')).toBe(encodeRow(sampleRow({ id: 'late' })));
  });

  it('prices billable rows, leaves free endpoints at zero and flags unknown models', () => {
    const f = newFacts('id1', 1_000, 'openai.chat');
    f.modelRequested = 'gpt-5';
    f.usage = { ...zeroUsage(), inputTokens: 10, outputTokens: 5 };
    expect(buildRow(f, () => ({ costPicos: 42n, unpriced: false }))).toMatchObject({ costPicos: 42n, unpriced: false, model: 'gpt-5' });
    expect(buildRow(f, () => ({ costPicos: null, unpriced: true }))).toMatchObject({ costPicos: null, unpriced: true });
    const free = newFacts('id2', 1_000, 'anthropic.count_tokens');
    free.usage = { ...zeroUsage(), inputTokens: 500 };
    expect(buildRow(free, () => ({ costPicos: 1n, unpriced: false }))).toMatchObject({ costPicos: 0n, unpriced: false });
    // Billed by a unit the usage does not count (DALL·E's images): no usage is an unknown cost, not a free one.
    const images = newFacts('id3', 1_000, 'openai.images');
    expect(buildRow(images, () => ({ costPicos: 1n, unpriced: false }))).toMatchObject({ costPicos: 0n, unpriced: false });
    images.billedWithoutUsage = true;
    expect(buildRow(images, () => ({ costPicos: 1n, unpriced: false }))).toMatchObject({ costPicos: null, unpriced: true });
    // A Gemini cache's tokens are billed by the hour of storage, which no catalog prices: unpriced, never the input price.
    const cache = newFacts('id4', 1_000, 'gemini.caches');
    cache.usage = { ...zeroUsage(), inputTokens: 48_000, cacheWriteTokens: 48_000 };
    expect(buildRow(cache, () => ({ costPicos: 1n, unpriced: false }))).toMatchObject({ costPicos: null, unpriced: true, inputTokens: 48_000 });
  });

  it('estimates input from every string in the body, rounding up', () => {
    expect(estimateInputTokens({ model: 'gpt-5', messages: [{ role: 'user', content: 'hello world' }] })).toBe(Math.ceil((5 + 4 + 11) / 4));
    expect(estimateInputTokens(null)).toBe(0);
  });

  it('tells a zombie (exited, not yet reaped) from a live process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-stat-'));
    const stat = (state: string) => {
      const path = join(dir, `stat-${state}`);
      writeFileSync(path, `4242 (node (x) y) ${state} 1 4242 4242 0 -1 4194560`);
      return path;
    };
    expect(isZombie(4242, stat('Z'))).toBe(true);
    expect(isZombie(4242, stat('S'))).toBe(false);
    expect(isZombie(4242, join(dir, 'missing'))).toBe(false);
    expect(isZombie(process.pid)).toBe(false);
  });
});
