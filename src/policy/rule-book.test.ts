import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/logger.js';
import type { PolicyStore } from '../storage/ports.js';
import { RuleBook } from './rule-book.js';

describe('RuleBook', () => {
  afterEach(() => vi.useRealTimers());

  it('a storage outage is logged at most every 30 s while the reloads every 2 s fail, and its end once', async () => {
    vi.useFakeTimers();
    let down = false;
    const list = () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve([]));
    const store = { listBudgets: list, listRateLimits: list, listModelPolicies: list, listIncreases: list } as unknown as PolicyStore;
    const lines: string[] = [];
    const log: Logger = { debug: () => undefined, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) };
    const book = new RuleBook(store, { budgets: [], rateLimits: [], modelPolicies: [] }, log, { refreshMs: 2000 });
    await book.start();
    down = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toEqual(['warn could not reload budgets and policies; keeping the last ones', 'warn could not reload budgets and policies; keeping the last ones']);
    down = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(lines.at(-1)).toBe('info budgets and policies reload again');
    book.stop();
  });
});
