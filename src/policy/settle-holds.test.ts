import { afterEach, describe, expect, it, vi } from 'vitest';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { CountersUnavailable, type Settlement } from './counters/port.js';
import type { Budget } from './rules.js';
import { budget, setup } from './testing/enforcer.js';
import type { PolicyEvents } from './threshold-watch.js';
import { noEvents } from './threshold-watch.js';

let seq = 0;
function request(): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `s${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

/** An enforcer whose counters refuse settlements while `down.now` is set (reservations still go through). */
function outage(b: Budget, events: PolicyEvents = noEvents) {
  const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
  const s = setup([b], clock, events);
  const down = { now: false, calls: 0 };
  const settle = s.counters.settle.bind(s.counters);
  s.counters.settle = (items: readonly Settlement[], now: number) => {
    down.calls++;
    return down.now ? Promise.reject(new CountersUnavailable('Redis at 127.0.0.1:6379 is not connected')) : settle(items, now);
  };
  return { ...s, down };
}

describe('settling holds while the counters do not answer', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps a settlement its 4 tries did not apply, and applies it once the counters answer: nothing stays held, and its spend is judged for thresholds', async () => {
    vi.useFakeTimers();
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1, thresholds: [50] });
    const raised: number[] = [];
    const { enforcer, read, down } = outage(b, { ...noEvents, threshold: (_b, percent) => void raised.push(percent) });
    const a = await enforcer.admit(request());
    expect((await read(b)).held).toBe(usd('0.2'));
    down.now = true;
    a.settle(usd('0.6'), 300);
    // 0.25 + 1 + 4 s of pauses: the tries are spent, and the settlement is kept.
    await vi.advanceTimersByTimeAsync(5300);
    expect(down.calls).toBe(4);
    expect(enforcer.stats.settleErrors).toBe(4);
    expect(enforcer.pendingSettlements).toMatchObject({ waiting: 1, kept: 1, applied: 0 });
    expect(await read(b)).toMatchObject({ spent: 0n, held: usd('0.2') });
    // Minutes later the counters answer: the next try applies it.
    await vi.advanceTimersByTimeAsync(120_000);
    down.now = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(await read(b)).toMatchObject({ spent: usd('0.6'), held: 0n });
    expect(enforcer.pendingSettlements).toMatchObject({ waiting: 0, applied: 1 });
    expect(raised).toEqual([50]);
    // Tries stop once it is applied.
    const calls = down.calls;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(down.calls).toBe(calls);
  });

  it('a reservation the counters answer for lets the kept settlements go at once rather than after their pause', async () => {
    vi.useFakeTimers();
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read, down } = outage(b);
    const a = await enforcer.admit(request());
    down.now = true;
    a.settle(usd('0.1'), 100);
    // Past the tries, and far into the kept settlement's pauses (5 s each by then).
    await vi.advanceTimersByTimeAsync(30_000);
    down.now = false;
    await enforcer.admit(request());
    await vi.advanceTimersByTimeAsync(0);
    expect(await read(b)).toMatchObject({ spent: usd('0.1'), held: usd('0.2') });
  });

  it('at close, a settlement pausing between its tries is kept at once and gets one last try', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read, down } = outage(b);
    const a = await enforcer.admit(request());
    down.now = true;
    a.settle(usd('0.1'), 100);
    await vi.waitFor(() => expect(down.calls).toBe(1));
    const t0 = Date.now();
    await enforcer.close();
    // Not the 5 s of pauses the tries would take.
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(enforcer.pendingSettlements).toMatchObject({ waiting: 1, kept: 1 });
    expect(await read(b)).toMatchObject({ spent: 0n, held: usd('0.2') });
  });

  it('does not keep the settlement of a request admitted open (its reserve may never have reached the counters)', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, counters, down } = outage(b);
    counters.reserve = () => Promise.reject(new CountersUnavailable('Redis at 127.0.0.1:6379 is not connected'));
    down.now = true;
    const a = await enforcer.admit(request());
    a.settle(usd('0.1'), 100);
    await vi.waitFor(() => expect(down.calls).toBe(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(down.calls).toBe(1);
    expect(enforcer.stats).toMatchObject({ failOpen: 1, settleErrors: 0 });
    expect(enforcer.pendingSettlements.kept).toBe(0);
  });
});
