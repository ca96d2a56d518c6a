import { describe, expect, it, vi } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { silentLogger } from '../core/logger.js';
import type { PendingQuery } from '../storage/ports.js';
import { sampleRow } from '../storage/testing/rows.js';
import { DeferredUsageSweep, type PollResult } from './deferred-usage-sweep.js';

const HOUR = 3_600_000;

/** Pending rows held in memory, listed as storage lists them: in (ts, id) order, window and page applied. */
function pendingLedger(rows: LedgerRow[]) {
  const listed: PendingQuery[] = [];
  return {
    rows,
    listed,
    pendingResponses(q: PendingQuery) {
      listed.push(q);
      const sorted = rows.filter((r) => r.ts >= q.from && r.ts < q.to).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const after = q.after;
      return Promise.resolve(sorted.filter((r) => after === undefined || r.ts > after.ts || (r.ts === after.ts && r.id > after.id)).slice(0, q.limit));
    },
  };
}

const pending = (n: number, ts: number) => sampleRow({ id: `row${String(n).padStart(5, '0')}`, ts, api: 'openai.responses', usageSource: 'none', responseId: `resp_${n}` });

function setUp(rows: LedgerRow[], answer: (row: LedgerRow) => PollResult) {
  let now = 10 * HOUR;
  const ledger = pendingLedger(rows);
  const asked: string[] = [];
  const finished: string[] = [];
  const sweep = new DeferredUsageSweep({
    api: 'openai.responses',
    intervalMs: 60_000,
    maxAgeMs: 3 * HOUR,
    ledger,
    poll: (row) => {
      asked.push(row.responseId!);
      let r: PollResult;
      try {
        r = answer(row);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      // Billed: the row leaves the pending ones.
      if (r.kind === 'finished') {
        finished.push(row.responseId!);
        ledger.rows.splice(ledger.rows.indexOf(row), 1);
      }
      return Promise.resolve(r);
    },
    log: silentLogger,
    now: () => now,
  });
  return { sweep, ledger, asked, finished, at: () => now, advance: (ms: number) => (now += ms) };
}

const done = (): PollResult => ({ kind: 'finished' });

describe('DeferredUsageSweep', () => {
  it('asks about responses between 15 s and the maximum age old, and hands the finished ones on once', async () => {
    const base = 10 * HOUR;
    const t = setUp([pending(1, base - 5_000), pending(2, base - 20_000), pending(3, base - 2 * HOUR), pending(4, base - 4 * HOUR)], done);
    expect(t.sweep.waiting).toBe(0);
    expect(await t.sweep.sweep()).toEqual({ asked: 2, finished: 2 });
    // Listed in the window: the two asked about (billed now), not the one too young or the one too old.
    expect(t.sweep.waiting).toBe(2);
    expect(t.asked.sort()).toEqual(['resp_2', 'resp_3']);
    expect(t.finished.sort()).toEqual(['resp_2', 'resp_3']);
    t.advance(20_000);
    await t.sweep.sweep();
    // The first is old enough now; the one past the maximum age never is.
    expect(t.asked.sort()).toEqual(['resp_1', 'resp_2', 'resp_3']);
  });

  it('waits longer between asks while a response runs: 30 s, then doubling, up to 15 minutes', async () => {
    const t = setUp([pending(1, 10 * HOUR - 60_000)], () => ({ kind: 'running' }));
    const askedAt: number[] = [];
    for (let i = 0; i < 400; i++) {
      const before = t.asked.length;
      await t.sweep.sweep();
      if (t.asked.length > before) askedAt.push(t.at());
      t.advance(10_000);
    }
    const gaps = askedAt.slice(1).map((at, i) => at - askedAt[i]!);
    expect(gaps.slice(0, 7)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
    expect(t.finished).toEqual([]);
  });

  it('asks again after 30 s when the provider did not answer, and only after 6 hours when it did not know the response or there is no key', async () => {
    const answers: Record<string, PollResult> = { resp_1: { kind: 'failed', reason: 'HTTP 503' }, resp_2: { kind: 'unknown' }, resp_3: { kind: 'no_key' } };
    const t = setUp([1, 2, 3, 4].map((n) => pending(n, 10 * HOUR - 60_000)), (row) => {
      // A poll that throws counts as a failed ask.
      if (row.responseId === 'resp_4') throw new Error('bug');
      return answers[row.responseId!]!;
    });
    await t.sweep.sweep();
    t.advance(30_000);
    await t.sweep.sweep();
    expect(t.asked.sort()).toEqual(['resp_1', 'resp_1', 'resp_2', 'resp_3', 'resp_4', 'resp_4']);
    t.advance(6 * HOUR);
    // Now older than three hours: none of them is asked about again.
    await t.sweep.sweep();
    expect(t.asked).toHaveLength(6);
  });

  it('asks at most 200 per pass, and the next pass goes on past those waiting, page by page', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => pending(i, 10 * HOUR - 60_000 - (i % 7)));
    const t = setUp(rows, () => ({ kind: 'running' }));
    const passes: number[] = [];
    for (let i = 0; i < 7; i++) passes.push((await t.sweep.sweep()).asked);
    expect(passes).toEqual([200, 200, 200, 200, 200, 200, 0]);
    expect(new Set(t.asked).size).toBe(1200);
    expect(t.ledger.listed.some((q) => q.after !== undefined)).toBe(true);
  });

  it('runs every interval once started, logs a failed pass and goes on, and stops when closed', async () => {
    vi.useFakeTimers();
    try {
      const errors: string[] = [];
      let calls = 0;
      const sweep = new DeferredUsageSweep({
        api: 'openai.responses',
        intervalMs: 1000,
        maxAgeMs: HOUR,
        firstAskMs: 0,
        ledger: { pendingResponses: () => (++calls === 1 ? Promise.reject(new Error('storage down')) : Promise.resolve([])) },
        poll: () => Promise.resolve({ kind: 'running' }),
        log: { ...silentLogger, error: (msg: string) => void errors.push(msg) },
      });
      sweep.start();
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(errors).toEqual(['the sweep of background responses failed; trying again at the next interval']);
      await vi.advanceTimersByTimeAsync(2000);
      expect(calls).toBe(3);
      await sweep.close();
      await vi.advanceTimersByTimeAsync(5000);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
