import { describe, expect, it } from 'vitest';
import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { zeroUsage } from '../core/usage.js';
import type { SettledSpend } from '../policy/settled-spend.js';
import { sampleRow } from '../storage/testing/rows.js';
import { BackgroundUsage, type FinishedResponse } from './background-usage.js';
import type { PriceRequest } from './build-row.js';

const creation = sampleRow({ id: 'create', api: 'openai.responses', model: 'gpt-5', inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, reasoningTokens: 0, costPicos: 0n, usageSource: 'none', responseId: 'resp_1', pool: 'p' });
const finished = (o: Partial<FinishedResponse> = {}): FinishedResponse => ({
  api: 'openai.responses', responseId: 'resp_1', usage: { ...zeroUsage(), inputTokens: 300, outputTokens: 80 }, servedModel: 'gpt-5-2025-08-07', serviceTier: 'flex', local: false, background: true, ...o,
});

function setup(o: { found?: (n: number) => LedgerRow | undefined; changed?: number; fail?: number; chargeFails?: boolean; attempts?: AttemptRow[] } = {}) {
  const calls = { lookups: 0, upserts: [] as LedgerRow[], charged: [] as SettledSpend[], priced: [] as PriceRequest[], logged: [] as string[], observed: [] as LedgerRow[] };
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => void calls.logged.push(`warn ${m}`), error: (m) => void calls.logged.push(`error ${m}`) };
  const usage = new BackgroundUsage({
    ledger: {
      pendingResponse: () => {
        const n = calls.lookups++;
        if (n < (o.fail ?? 0)) return Promise.reject(new Error('storage down'));
        return Promise.resolve((o.found ?? (() => creation))(n));
      },
      attempts: () => Promise.resolve(o.attempts ?? []),
      upsert: (rows, _remove, uo) => {
        // Only a row still without usage may be replaced.
        expect([uo?.replaceIf?.(creation), uo?.replaceIf?.({ ...creation, usageSource: 'final' })]).toEqual([true, false]);
        calls.upserts.push(...rows);
        return Promise.resolve(o.changed ?? 1);
      },
    },
    price: (r) => {
      calls.priced.push(r);
      return { costPicos: BigInt(r.usage.inputTokens + 10 * r.usage.outputTokens), unpriced: false };
    },
    catalogOf: (name) => (name === 'openai' ? 'openai-catalog' : undefined),
    charge: (s) => {
      calls.charged.push(s);
      return o.chargeFails ? Promise.reject(new Error('counters down')) : Promise.resolve();
    },
    observe: (row) => void calls.observed.push(row),
    log,
    retryMs: [5, 5, 5],
  });
  return { usage, calls };
}

describe('BackgroundUsage', () => {
  it('puts the usage, its cost and the tier it was priced at on the creation row, priced at the served model at the creation time, and charges its caller', async () => {
    const { usage, calls } = setup();
    usage.finished(finished());
    await usage.close();
    expect(calls.upserts).toEqual([{ ...creation, model: 'gpt-5-2025-08-07', inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: 1100n, unpriced: false, serviceTier: 'flex' }]);
    expect(calls.priced[0]).toMatchObject({ provider: 'openai', catalogProvider: 'openai-catalog', model: 'gpt-5-2025-08-07', at: new Date(creation.ts), serviceTier: 'flex' });
    expect(calls.charged).toEqual([{ id: 'create', ts: creation.ts, caller: { keyId: 'key_1', user: 'alice', team: 'platform', project: 'tollgate', tags: {} }, model: 'gpt-5', provider: 'openai', pool: 'p', cost: 1100n }]);
  });

  it('on a routed request, adds the usage to the row’s earlier attempts’ and gives it to the delivered attempt', async () => {
    const attempt = (n: number, o: Partial<AttemptRow>): AttemptRow => ({
      requestId: 'create', n, deployment: `d${n}`, provider: 'openai', model: 'gpt-5', status: 200, outcome: 'ok', errorType: null, delivered: false, ...zeroUsage(), usageSource: 'none', costPicos: 0n, startedAt: 1, latencyMs: 5, ...o,
    });
    const cut = attempt(1, { status: 200, outcome: 'truncated', inputTokens: 40, usageSource: 'partial', costPicos: 40n });
    const found = { ...creation, inputTokens: 40, costPicos: 40n, attempts: 2 };
    const { usage, calls } = setup({ found: () => found, attempts: [cut, attempt(2, { delivered: true })] });
    usage.finished(finished());
    await usage.close();
    expect(calls.upserts[0]).toMatchObject({ inputTokens: 340, outputTokens: 80, costPicos: 1140n, usageSource: 'final' });
    // The metrics count what was added, not the row's total.
    expect(calls.observed[0]).toMatchObject({ model: 'gpt-5-2025-08-07', inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    expect(calls.upserts[0]!.attemptLog).toEqual([cut, attempt(2, { delivered: true, inputTokens: 300, outputTokens: 80, usageSource: 'final', costPicos: 1100n })]);
    expect(calls.charged[0]!.cost).toBe(1100n);
  });

  it('logs budgets it could not charge, without writing the row again', async () => {
    const { usage, calls } = setup({ chargeFails: true });
    usage.finished(finished());
    await usage.close();
    expect([calls.upserts.length, calls.charged.length]).toEqual([1, 1]);
    expect(calls.logged).toEqual([expect.stringMatching(/^error could not add a background response’s cost to its budgets/)]);
  });

  it('charges nothing when another process settled the row first', async () => {
    const { usage, calls } = setup({ changed: 0 });
    usage.finished(finished());
    await usage.close();
    expect(calls.upserts).toHaveLength(1);
    expect([calls.charged, calls.observed]).toEqual([[], []]);
  });

  it('looks again for a background response’s row not committed yet, and once only for any other response', async () => {
    const late = setup({ found: (n) => (n < 2 ? undefined : creation) });
    late.usage.finished(finished());
    await new Promise((r) => setTimeout(r, 100));
    expect([late.calls.lookups, late.calls.charged.length]).toEqual([3, 1]);
    const other = setup({ found: () => undefined });
    other.usage.finished(finished({ background: false }));
    await new Promise((r) => setTimeout(r, 100));
    expect([other.calls.lookups, other.calls.upserts.length]).toEqual([1, 0]);
  });

  it('retries a failing storage, then logs the usage rather than throwing', async () => {
    const recovers = setup({ fail: 2 });
    recovers.usage.finished(finished());
    await new Promise((r) => setTimeout(r, 100));
    expect(recovers.calls.charged).toHaveLength(1);
    const down = setup({ fail: 100 });
    expect(() => down.usage.finished(finished())).not.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect(down.calls.lookups).toBe(4);
    expect(down.calls.logged.at(-1)).toMatch(/^error could not bill/);
  });

  it('settles a response once while lookups of it overlap, and stops looking at shutdown', async () => {
    const { usage, calls } = setup({ found: () => undefined });
    usage.finished(finished());
    usage.finished(finished());
    await new Promise((r) => setTimeout(r, 1));
    await usage.close();
    expect(calls.lookups).toBe(1);
    expect(calls.logged.some((m) => m.startsWith('warn shutting down'))).toBe(true);
    usage.finished(finished());
    expect(calls.lookups).toBe(1);
  });
});
