import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { DriftWatch, type DriftReport } from './drift-watch.js';
import type { BudgetCounter } from './plan.js';
import type { Drift } from './reconcile.js';

const counter = (id: string, start = 0) => ({ budget: { id }, window: { start } }) as unknown as BudgetCounter;
const drift = (id: string, d: string, start = 0): Drift => ({ counter: counter(id, start), counted: usd(d), ledger: 0n, drift: usd(d), initialized: true });

describe('drift watch', () => {
  it('reports a budget only when its counters and ledger disagree twice in a row for the same window', async () => {
    const runs: Drift[][] = [[drift('a', '1'), drift('b', '0')], [drift('a', '1'), drift('b', '2')], [drift('a', '0'), drift('b', '2', 86_400_000)]];
    const reports: DriftReport[] = [];
    const w = new DriftWatch({ run: () => Promise.resolve(runs.shift()!), report: (r) => reports.push(r), onError: () => undefined, now: () => 5 });
    expect((await w.check())!.drifting).toEqual([]);
    expect((await w.check())!.drifting).toEqual([{ budgetId: 'a', window: 0, driftPicos: usd('1') }]);
    expect((await w.check())!.drifting).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(w.last).toMatchObject({ at: 5, checked: 2 });
  });

  it('survives a failing run', async () => {
    const errors: unknown[] = [];
    const w = new DriftWatch({ run: () => Promise.reject(new Error('redis down')), report: () => undefined, onError: (e) => errors.push(e), now: () => 0 });
    expect(await w.check()).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
