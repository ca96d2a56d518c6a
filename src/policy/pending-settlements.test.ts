import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/logger.js';
import { usd } from '../core/money.js';
import { MemoryCounters } from './counters/memory.js';
import type { SettleOutcome, Settlement, SpendLine } from './counters/port.js';
import { type Kept, PendingSettlements } from './pending-settlements.js';

const DOWN = new Error('Redis at 127.0.0.1:6379 is not connected (connect ECONNREFUSED 127.0.0.1:6379)');
const LATER = Date.now() + 3_600_000;

function recording(): { log: Logger; lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const kept = (id: string, until = LATER, done?: (out: SettleOutcome) => void): Kept => ({ s: { id, actual: 1n, tokens: 1 }, until, done });

/** Counters that refuse `failures` calls, then take everything, recording each call's ids and time. */
function flaky(failures: number) {
  const calls: { at: number; ids: string[] }[] = [];
  const settle = (items: Settlement[]) => {
    calls.push({ at: Date.now(), ids: items.map((s) => s.id) });
    return failures-- > 0 ? Promise.reject(DOWN) : Promise.resolve(items.map((s) => ({ levels: [{ ref: 'b', level: s.actual, spent: s.actual }] })));
  };
  return { calls, settle };
}

describe('PendingSettlements', () => {
  afterEach(() => vi.useRealTimers());

  it('applies kept settlements once the counters answer, retrying with a pause that doubles up to its cap, and tells each its outcome', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(5);
    const { log, lines } = recording();
    const q = new PendingSettlements({ settle, log, now: Date.now });
    const outs: SettleOutcome[] = [];
    const start = Date.now();
    q.add([kept('r1', LATER, (o) => outs.push(o)), kept('r2')]);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(30_000);
    // 250 ms, then 0.5, 1, 2, 4 and 5 s (the cap) after each failed try.
    expect(calls.map((c) => c.at - start)).toEqual([250, 750, 1750, 3750, 7750, 12750]);
    expect(calls.at(-1)!.ids).toEqual(['r1', 'r2']);
    expect(q.size).toBe(0);
    expect(outs).toEqual([{ levels: [{ ref: 'b', level: 1n, spent: 1n }] }]);
    expect(q.stats).toEqual({ kept: 2, applied: 2, gone: 0, dropped: 0, lapsed: 0 });
    // One warning for the outage (the rest within its minute are counted, not logged), one line at the end.
    expect(lines.map((l) => [l.level, l.msg.slice(0, 40)])).toEqual([
      ['warn', 'the budget counters do not answer: settl'],
      ['info', 'the budget counters answer again: applie'],
    ]);
    expect(lines[1]!.fields).toMatchObject({ applied: 2, waited_ms: 12750 });
    // The next outage starts again from the first pause and warns again.
    q.add([kept('r3')]);
    await vi.advanceTimersByTimeAsync(250);
    expect(calls).toHaveLength(7);
  });

  it('counts a settlement once although it ran in the counters before its reply was lost, or was kept twice', async () => {
    const counters = new MemoryCounters();
    const now = Date.now();
    const line: SpendLine = { ref: 'b', marker: 'bm:b', buckets: ['b:b'], limit: usd('10'), ttlMs: 86_400_000 };
    await counters.initialize([{ marker: line.marker, ttlMs: line.ttlMs, bucketTtlMs: line.ttlMs, amounts: [] }]);
    for (const id of ['r1', 'r2']) expect(await counters.reserve({ id, now, leaseMs: 60_000, amount: usd('2'), groups: [{ lines: [line], pool: null }], rates: [] })).toMatchObject({ ok: true });
    // The first call runs, but its reply is lost (a command timeout on a slow Redis): everything is tried again.
    let lost = true;
    const settle = async (items: Settlement[]) => {
      const outs = await counters.settle(items, now);
      if (!lost) return outs;
      lost = false;
      throw DOWN;
    };
    vi.useFakeTimers();
    const q = new PendingSettlements({ settle, log: recording().log, now: Date.now });
    q.add([{ s: { id: 'r1', actual: usd('0.5'), tokens: 10 }, until: LATER }]);
    await vi.advanceTimersByTimeAsync(250);
    expect(lost).toBe(false);
    // Kept again (its request's settlement failed once more), with another.
    q.add([
      { s: { id: 'r1', actual: usd('0.5'), tokens: 10 }, until: LATER },
      { s: { id: 'r2', actual: usd('0.25'), tokens: 10 }, until: LATER },
    ]);
    await vi.advanceTimersByTimeAsync(500);
    expect(q.size).toBe(0);
    expect(await counters.read([line])).toEqual([{ spent: usd('0.75'), held: 0n, initialized: true }]);
    // r1 had taken effect with the lost reply; r2 took effect on the retry.
    expect(q.stats).toMatchObject({ kept: 3, applied: 1, gone: 1 });
  });

  it('keeps at most `max`, letting the oldest go first, and warns once until the counters take everything again', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(1);
    const { log, lines } = recording();
    const q = new PendingSettlements({ settle, log, now: Date.now, limits: { max: 3 } });
    q.add(['r1', 'r2', 'r3', 'r4'].map((id) => kept(id)));
    q.add([kept('r5')]);
    expect(q.size).toBe(3);
    expect(q.stats).toMatchObject({ kept: 5, dropped: 2 });
    const capped = lines.filter((l) => l.msg.startsWith('more than 3 settlements are waiting'));
    expect(capped).toHaveLength(1);
    expect(capped[0]!.level).toBe('warn');
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.at(-1)!.ids).toEqual(['r3', 'r4', 'r5']);
    expect(lines.at(-1)).toMatchObject({ level: 'info', fields: { applied: 3, dropped: 2 } });
  });

  it('lets a settlement go when its reservation lease ends, since the lease releases the hold', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(2);
    const { log, lines } = recording();
    const q = new PendingSettlements({ settle, log, now: Date.now });
    q.add([kept('short', Date.now() + 500), kept('long')]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.map((c) => c.ids)).toEqual([['short', 'long'], ['long'], ['long']]);
    expect(q.stats).toMatchObject({ lapsed: 1, applied: 1 });
    expect(lines.find((l) => l.msg.startsWith('1 kept settlement(s) reached the end of their reservation'))).toMatchObject({ level: 'warn' });
  });

  it('applies at most `perCall` a call, and keeps what is added during a call', async () => {
    const calls: number[] = [];
    const q: PendingSettlements = new PendingSettlements({
      settle: (items) => {
        calls.push(items.length);
        if (calls.length === 1) q.add([kept('later')]);
        return Promise.resolve(items.map(() => undefined));
      },
      log: recording().log,
      now: Date.now,
      limits: { perCall: 2, firstDelayMs: 0 },
    });
    q.add(['a', 'b', 'c', 'd', 'e'].map((id) => kept(id)));
    await vi.waitFor(() => expect(q.size).toBe(0));
    expect(calls).toEqual([2, 2, 2]);
    expect(q.stats).toMatchObject({ kept: 6, gone: 6 });
  });

  it('tries at once when kicked (the counters answered another call) rather than after its pause', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(1);
    const q = new PendingSettlements({ settle, log: recording().log, now: Date.now, limits: { firstDelayMs: 10_000 } });
    q.add([kept('r1')]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    q.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect(q.size).toBe(0);
  });

  it('at close, tries once more, logs how many are left for the lease, and tries no more', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(Infinity);
    const { log, lines } = recording();
    const q = new PendingSettlements({ settle, log, now: Date.now });
    q.add([kept('r1'), kept('r2')]);
    await vi.advanceTimersByTimeAsync(300);
    expect(await q.close()).toBe(2);
    expect(calls).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^shutting down with 2 settlement\(s\).*policy\.lease_minutes/), fields: { left: 2, ids: ['r1', 'r2'] } });
    // One more after close (a request that ended during shutdown): said, not kept.
    q.add([kept('r3')]);
    expect(q.size).toBe(2);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', msg: expect.stringMatching(/^shutting down: 1 more settlement/), fields: { ids: ['r3'] } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
  });

  it('at close, says nothing when the last try takes everything', async () => {
    vi.useFakeTimers();
    const { calls, settle } = flaky(1);
    const { log, lines } = recording();
    const q = new PendingSettlements({ settle, log, now: Date.now });
    q.add([kept('r1')]);
    await vi.advanceTimersByTimeAsync(250);
    expect(calls).toHaveLength(1);
    expect(await q.close()).toBe(0);
    expect(calls).toHaveLength(2);
    expect(lines.map((l) => l.level)).toEqual(['warn', 'info']);
  });
});
