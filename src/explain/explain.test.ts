import { describe, expect, it } from 'vitest';
import type { RateBook } from '../pricing/unit-rates.js';
import { type AggregateRow, type LedgerStore, emptyTotals } from '../storage/ports.js';
import { explain, explanationTable, explanationUsd } from './explain.js';

const HOUR = 3_600_000;
const USD = 1_000_000_000_000n;
const rates: RateBook = () => ({ input: 2n * USD, cacheRead: USD / 5n, cacheWrite: (5n * USD) / 2n, output: 10n * USD });

/** A group of the explain grouping (model, provider, user, client, workflow). */
function group(keys: [string, string, string, string, string], o: Partial<AggregateRow>): AggregateRow {
  return { ...emptyTotals(), keys, ...o };
}

/** A ledger whose aggregate answers each window's groups, told apart by where the window starts. */
function ledgerOf(byWindow: Map<number, AggregateRow[]>): LedgerStore {
  return { aggregate: (q: { since?: number }) => Promise.resolve(byWindow.get(q.since!) ?? []) } as unknown as LedgerStore;
}

const served = (requests: number) => ({ requests, inputTokens: requests * 1000, outputTokens: requests * 100, costPicos: BigInt(requests) * 3_000_000_000n });

describe('explain', () => {
  it('leaves out refused and failed requests that cost nothing: they are not traffic, a model mix or new users', async () => {
    const alice = group(['gpt-4o', 'openai', 'alice', 'openai-sdk', ''], served(10));
    const windows = new Map([
      // Thirteen 401s under a model nobody was served, from a user nobody else saw.
      [0, [alice, group(['gpt-5', 'openai', 'mallory', 'curl', ''], { requests: 13, errors: 13 })]],
      // The same ten answered, plus two 429s that cost nothing in the same group.
      [HOUR, [{ ...alice, requests: 12, errors: 2 }]],
    ]);
    const e = await explain(ledgerOf(windows), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates);
    expect(e.toPicos - e.fromPicos).toBe(0n);
    expect(e.drivers.every((d) => d.deltaPicos === 0n)).toBe(true);
    const detail = Object.fromEntries(e.drivers.map((d) => [d.id, d.detail]));
    expect(detail.requests).toBe('requests 10 → 10');
    expect(detail.model_mix).toBe('share of requests: model shares of requests unchanged');
    expect(detail.gone_subjects).not.toContain('mallory');
  });

  it('counts every request of a group whose failures carry cost, so that the parts still add up to the change', async () => {
    const cut = group(['gpt-4o', 'openai', 'bob', 'codex', ''], { ...served(4), errors: 4 });
    const windows = new Map([
      [0, [group(['gpt-4o', 'openai', 'bob', 'codex', ''], served(4))]],
      [HOUR, [cut]],
    ]);
    const e = await explain(ledgerOf(windows), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates);
    expect(e.drivers.find((d) => d.id === 'requests')!.detail).toBe('requests 4 → 4');
    expect(e.drivers.reduce((s, d) => s + d.deltaPicos, 0n)).toBe(e.toPicos - e.fromPicos);
  });

  it('notes windows of different lengths in the unit that reads best', async () => {
    const windows = new Map([
      [0, [group(['m', 'p', 'u', 'c', ''], served(3))]],
      [3 * 60_000, [group(['m', 'p', 'u', 'c', ''], served(4))]],
    ]);
    const e = await explain(ledgerOf(windows), { since: 0, until: 3 * 60_000, label: 'a' }, { since: 3 * 60_000, until: 7 * 60_000, label: 'b' }, rates);
    expect(e.summary).toContain('Note: the windows differ in length (3 minutes against 4 minutes).');
    const same = await explain(ledgerOf(windows), { since: 0, until: 3 * 60_000, label: 'a' }, { since: 3 * 60_000, until: 6 * 60_000, label: 'b' }, rates);
    expect(same.summary).not.toContain('Note:');
  });
});

describe('explanationUsd', () => {
  it('gives every amount of an explanation one scale, so $0.0135 → $0.01125 is not "$0.01 to $0.01" beside -$0.00225', () => {
    const p = (usd: string) => BigInt(Math.round(Number(usd) * 1e6)) * 1_000_000n;
    const d = { fromPicos: p('0.0135'), toPicos: p('0.01125'), drivers: [{ id: 'model_mix' as const, label: 'model mix', deltaPicos: p('-0.005625'), detail: '' }, { id: 'requests' as const, label: 'more requests', deltaPicos: p('0.003375'), detail: '' }] };
    const { usd, signed } = explanationUsd(d);
    expect([usd(d.fromPicos), usd(d.toPicos), signed(d.toPicos - d.fromPicos), ...d.drivers.map((x) => signed(x.deltaPicos))]).toEqual(['$0.0135', '$0.0113', '-$0.0023', '-$0.0056', '+$0.0034']);
  });
});

describe('explanationTable', () => {
  it('leaves drivers at exactly $0 out of the rows and names them once beneath', () => {
    const p = (usd: string) => BigInt(Math.round(Number(usd) * 1e6)) * 1_000_000n;
    const driver = (id: 'tokens_per_request' | 'cache' | 'new_subjects', label: string, usd: string, detail: string) => ({ id, label, deltaPicos: p(usd), detail });
    const d = {
      fromPicos: p('4.9875'),
      toPicos: p('6.43125'),
      drivers: [driver('tokens_per_request', 'more tokens per request (context growth)', '1.44375', 'input tokens per request 10,000 → 15,000'), driver('cache', 'cache-hit rate', '0', '50.0% → 50.0%'), driver('new_subjects', 'new users, workflows or clients', '0', 'none')],
    };
    const { rows, unmoved } = explanationTable(d);
    expect(rows.map((r) => r[0])).toEqual(['more tokens per request (context growth)', 'total change']);
    expect(rows[0]![1]).toBe('+$1.44');
    expect(unmoved).toBe('No part of the change came from: cache-hit rate; new users, workflows or clients.\n');
    expect(explanationTable({ ...d, drivers: d.drivers.slice(0, 1) }).unmoved).toBe('');
  });
});
