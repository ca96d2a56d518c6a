import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../core/logger.js';
import type { Settlement } from './counters/port.js';
import { LateReleases } from './late-releases.js';

describe('LateReleases', () => {
  afterEach(() => vi.useRealTimers());

  it('settles each id at zero in one call, retrying with a growing pause until the counters take it', async () => {
    vi.useFakeTimers();
    const calls: { at: number; items: Settlement[] }[] = [];
    let failures = 2;
    const late = new LateReleases((items) => {
      calls.push({ at: Date.now(), items });
      return failures-- > 0 ? Promise.reject(new Error('Redis: connect ECONNREFUSED')) : Promise.resolve([]);
    }, silentLogger);
    const start = Date.now();
    late.add('r1');
    late.add('r2');
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.items).toEqual([
      { id: 'r1', actual: 0n, tokens: 0 },
      { id: 'r2', actual: 0n, tokens: 0 },
    ]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.map((c) => c.at - start)).toEqual([0, 500, 1500]);
    expect(late.size).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
  });

  it('settles at most 500 ids a call, and keeps ids added while a call runs for the next one', async () => {
    const calls: number[] = [];
    const late = new LateReleases((items) => {
      calls.push(items.length);
      if (calls.length === 1) late.add('later');
      return Promise.resolve([]);
    }, silentLogger);
    for (let i = 0; i < 1200; i++) late.add(`r${i}`);
    await vi.waitFor(() => expect(late.size).toBe(0));
    expect(calls).toEqual([500, 500, 200, 1]);
  });
});
