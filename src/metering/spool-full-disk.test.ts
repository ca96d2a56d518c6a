import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import { forEachJournalBatch, recoverSpools } from './journal-files.js';
import type { LedgerSink } from './ledger-sink.js';
import { LedgerWriter } from './ledger-writer.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { Spool } from './spool.js';

/** A disk that fills: while `room` is set, a write takes at most that many more bytes, then fails with ENOSPC. */
const disk = vi.hoisted(() => ({ room: undefined as number | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (disk.room === undefined) return (real.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from((data as Buffer).subarray((rest[0] as number | undefined) ?? 0));
    if (disk.room === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(disk.room, bytes.length);
    disk.room -= n;
    return real.writeSync(fd, bytes.subarray(0, n));
  }) as typeof real.writeSync;
  return { ...real, writeSync, default: { ...real, writeSync } };
});

afterEach(() => {
  disk.room = undefined;
});

const rows = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => sampleRow({ id: `${prefix}${i}`, ts: 1_700_000_000_000 + i }));

function store() {
  const s = {
    rows: new Map<string, LedgerRow>(),
    down: true,
    insert(batch: readonly LedgerRow[]): Promise<number> {
      if (s.down) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      for (const r of batch) s.rows.set(r.id, r);
      return Promise.resolve(batch.length);
    },
    ping: (): Promise<void> => (s.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve()),
  } satisfies LedgerSink & Record<string, unknown>;
  return s;
}

const fileOf = (dir: string) => join(dir, readdirSync(dir).find((n) => n.startsWith('spool-'))!);
const tick = () => new Promise((r) => setImmediate(r));

/** Records `before` while the disk has room, then `during` once it is full (left full). */
async function throughFullDisk(w: LedgerWriter, before: LedgerRow[], during: LedgerRow[]): Promise<void> {
  for (const r of before) w.record(r);
  await tick();
  disk.room = 0;
  for (const r of during) w.record(r);
  await tick();
}

describe('the spool on a full disk', () => {
  it('a write the disk takes only part of is cut back: the file holds whole rows only, and the next write starts clean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-full-'));
    const errors: unknown[] = [];
    const spool = new Spool(dir, (e) => errors.push(e));
    spool.append(sampleRow({ id: 'first' }));
    spool.flush();
    disk.room = 100; // part of the next row's bytes
    spool.append(sampleRow({ id: 'torn' }));
    spool.flush();
    expect(errors).toHaveLength(1);
    expect(spool.healthy).toBe(false);
    disk.room = undefined;
    spool.append(sampleRow({ id: 'after' }));
    spool.flush();
    const text = readFileSync(fileOf(dir), 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => decodeRow(l).id)).toEqual(['first', 'after']);
    spool.close();
    rmSync(dir, { recursive: true });
  });

  it('rows recorded while storage is down and the disk is full, spilled or queued, are all committed once both recover', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-full-'));
    const s = store();
    const w = new LedgerWriter(s, new Spool(dir), { flushIntervalMs: 1, maxQueued: 10, isStorageTrouble: () => true });
    // 10 queued and 5 spilled to the file; then 20 spilled too, but the disk takes none.
    await throughFullDisk(w, rows('a', 15), rows('b', 20));
    expect(w.journaling).toBe(false);
    disk.room = undefined;
    for (const r of rows('c', 5)) w.record(r);
    await tick();
    await tick();
    expect(w.journaling).toBe(true);
    // A kill -9 now loses nothing: every row is in the file, those the full disk refused written again.
    const onFile: string[] = [];
    await forEachJournalBatch(fileOf(dir), 100, (batch) => Promise.resolve(void onFile.push(...batch.map((r) => r.id))));
    expect(new Set(onFile)).toEqual(new Set([...rows('a', 15), ...rows('b', 20), ...rows('c', 5)].map((r) => r.id)));
    s.down = false;
    await w.flush();
    expect(s.rows.size).toBe(40);
    await w.close();
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('the disk and storage come back in the same turn: every row is committed, none reported unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-full-'));
    const s = store();
    const errors: unknown[] = [];
    const w = new LedgerWriter(s, new Spool(dir), { flushIntervalMs: 1, maxQueued: 10, isStorageTrouble: () => true, onError: (e) => errors.push(e) });
    await throughFullDisk(w, rows('a', 15), rows('b', 20));
    disk.room = undefined;
    for (const r of rows('c', 5)) w.record(r);
    // No turn ends before the commit: the first write that works is the commit's own.
    s.down = false;
    await w.flush();
    expect(s.rows.size).toBe(40);
    expect(errors.filter((e) => String(e).includes('could not be read back'))).toEqual([]);
    await w.close();
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('closing while storage is down: rows a failed spool write held in memory alone are written to the spool for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-full-'));
    const s = store();
    const w = new LedgerWriter(s, new Spool(dir), { flushIntervalMs: 1, isStorageTrouble: () => true });
    await throughFullDisk(w, rows('a', 3), rows('b', 4));
    disk.room = undefined; // the disk has room again by shutdown; storage is still down
    await expect(w.close()).rejects.toThrow(/storage is failing/);
    const later = store();
    later.down = false;
    // The file is this process's: read it as the next start would.
    const replayed: string[] = [];
    await forEachJournalBatch(fileOf(dir), 100, (batch) => {
      replayed.push(...batch.map((r) => r.id));
      return Promise.resolve();
    });
    expect(replayed.sort()).toEqual([...rows('a', 3), ...rows('b', 4)].map((r) => r.id).sort());
    rmSync(dir, { recursive: true });
  });
});

describe('journal files', () => {
  it('are read a batch at a time, a torn line in the middle skipped and counted, the rows after it kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-journal-'));
    const path = join(dir, 'spool-4194305-1-x.jsonl');
    const good = rows('r', 25);
    fs.writeFileSync(path, good.slice(0, 10).map(encodeRow).join('') + encodeRow(good[10]!).slice(0, 40) + '\n' + good.slice(11).map(encodeRow).join(''));
    const sizes: number[] = [];
    const seen: string[] = [];
    const { skipped } = await forEachJournalBatch(path, 7, (batch) => {
      sizes.push(batch.length);
      seen.push(...batch.map((r) => r.id));
      return Promise.resolve();
    });
    expect(skipped).toBe(1);
    expect(seen).toEqual(good.filter((_, i) => i !== 10).map((r) => r.id));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
    const inserted: string[] = [];
    expect(await recoverSpools(dir, (batch) => Promise.resolve(inserted.push(...batch.map((r) => r.id))))).toEqual({ rows: 24, skipped: 1 });
    rmSync(dir, { recursive: true });
  });

  it('a spool whose folder was deleted rotates into a new folder, never into a closed descriptor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-rotate-'));
    const spool = new Spool(dir);
    const big = sampleRow({ id: 'big', tags: { note: 'x'.repeat(1024 * 1024) } });
    for (let i = 0; i < 65; i++) spool.append({ ...big, id: `big${i}` });
    spool.flush();
    rmSync(dir, { recursive: true });
    spool.markCommitted(65); // past 64 MB, everything in storage: rotation
    spool.append(sampleRow({ id: 'after' }));
    spool.flush();
    expect(spool.healthy).toBe(true);
    expect(readFileSync(fileOf(dir), 'utf8').split('\n').filter(Boolean).map((l) => decodeRow(l).id)).toEqual(['after']);
    spool.close();
    rmSync(dir, { recursive: true });
  });

  it('a retained spool keeps its file at close, its rows all committed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-retain-'));
    const spool = new Spool(dir);
    spool.append(sampleRow({ id: 'a' }));
    spool.flush();
    spool.markCommitted(1);
    spool.retain();
    spool.close();
    expect(readdirSync(dir)).toHaveLength(1);
    rmSync(dir, { recursive: true });
  });
});
