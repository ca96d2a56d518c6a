import { describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.js';
import { type RateBook, rateBook } from '../pricing/unit-rates.js';
import { type AggregateRow, type LedgerStore, emptyTotals } from '../storage/ports.js';
import { explain, explanationJson, explanationTable, explanationUsd } from './explain.js';

const HOUR = 3_600_000;
const USD = 1_000_000_000_000n;
const rates: RateBook = () => ({ input: 2n * USD, cacheRead: USD / 5n, cacheWrite: (5n * USD) / 2n, output: 10n * USD });

/** A group of the explain grouping (model, provider, user, client, workflow). */
function group(keys: [string, string, string, string, string], o: Partial<AggregateRow>): AggregateRow {
  return { ...emptyTotals(), keys, ...o };
}

/** A ledger whose aggregate answers each window's groups, told apart by where the window starts (and no client versions). */
function ledgerOf(byWindow: Map<number, AggregateRow[]>): LedgerStore {
  const aggregate = (q: { since?: number; by: string[] }) => Promise.resolve(q.by.includes('tag:client_version') ? [] : (byWindow.get(q.since!) ?? []));
  return { aggregate, longRequests: () => Promise.resolve([]), tieredRequests: () => Promise.resolve([]) } as unknown as LedgerStore;
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

  it('says the spend is unknown, not that it held at $0.00 with nothing moved, when no request in either window had a price', async () => {
    const opus = (requests: number) => group(['claude-opus-4-1-20250805', 'anthropic', 'alice', 'claude-code', ''], { requests, unpricedRequests: requests, inputTokens: requests * 1000, outputTokens: requests * 100 });
    const only = { field: 'model' as const, value: 'claude-opus-4-1-20250805' };
    const both = await explain(ledgerOf(new Map([[0, [opus(2)]], [HOUR, [opus(3)]]])), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates, 0, only);
    expect(both.summary).toBe("Model claude-opus-4-1-20250805's spend is unknown: none of its requests had a known price (2 in a, 3 in b), so its change cannot be told. Add a pricing override (pricing.overrides in the config; docs/pricing.md).");
    expect([both.fromRequests, both.toRequests]).toEqual([{ requests: 2, unpricedRequests: 2 }, { requests: 3, unpricedRequests: 3 }]);
    // No requests before and none priced since: still no amount to compare.
    const fresh = await explain(ledgerOf(new Map([[HOUR, [opus(1)]]])), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates);
    expect(fresh.summary).toMatch(/^Spend is unknown: none of its requests had a known price \(0 in a, 1 in b\)/);
    expect(fresh.summary).not.toContain('Nothing moved');
    // The table and the JSON say the same: no amount, and no change.
    expect(explanationTable(both).rows.at(-1)).toEqual(['total change', 'unknown', 'unpriced → unpriced']);
    expect(explanationTable(fresh).rows.at(-1)).toEqual(['total change', 'unknown', '$0.00 → unpriced']);
    const json = explanationJson(both);
    expect([json.from.cost_usd, json.to.cost_usd, json.change_usd]).toEqual([null, null, null]);
    expect([json.from.unpriced_requests, json.to.unpriced_requests]).toEqual([2, 3]);
  });

  it('counts the unpriced requests a partly priced explanation leaves out of its amounts', async () => {
    const priced = group(['m', 'p', 'u', 'c', ''], served(3));
    const unknown = group(['mystery', 'p', 'u', 'c', ''], { requests: 1, unpricedRequests: 1, inputTokens: 1000 });
    const e = await explain(ledgerOf(new Map([[0, [priced]], [HOUR, [priced, unknown]]])), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates);
    expect(e.summary).toMatch(/^Spend held from \$0\.0090 in a to \$0\.0090 in b\. /);
    expect(e.summary).toContain(' 1 request of a model without a known price (0 in a, 1 in b) is not in these amounts.');
    expect(explanationTable(e).rows.at(-1)).toEqual(['total change', '+$0.0000', '$0.0090 → $0.0090*']);
    expect(explanationJson(e).to).toMatchObject({ cost_usd: '0.009', unpriced_requests: 1 });
    // Nor in the drivers: a model of unknown spend is not more requests offset by a model mix.
    expect(e.drivers.filter((d) => d.deltaPicos !== 0n)).toEqual([]);
    expect(e.drivers.find((d) => d.id === 'requests')!.detail).toBe('requests 3 → 3');
    const none = await explain(ledgerOf(new Map([[0, [priced]], [HOUR, [priced]]])), { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rates);
    expect(none.summary).not.toContain('known price');
  });
});

describe('explain with the real price list', () => {
  it('prices each of the team’s own requests past 128K input at its tier, so that long context is no price change', async () => {
    const at = Date.UTC(2026, 9, 6);
    const pricer = createPricer();
    const counts = (input: number) => ({ inputTokens: input, cacheReadTokens: input - 10_000, cacheWriteTokens: 8_000, cacheWrite1hTokens: 8_000, outputTokens: 900 });
    const cost = (c: ReturnType<typeof counts>) => pricer({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5', usage: { ...c, reasoningTokens: 0, toolCalls: 0 }, at: new Date(at) }).costPicos!;
    /** A team's Claude Code requests to Sonnet 4.5: `short` of 40K input, `long` of 300K. */
    const sonnet = (team: string, short: number, long: number): AggregateRow => {
      const [s, l] = [counts(40_000), counts(300_000)];
      const sum = (k: keyof typeof s) => s[k] * short + l[k] * long;
      const keys = ['claude-sonnet-4-5', 'anthropic', 'alice', 'claude-code', '', team];
      return { ...group(keys as [string, string, string, string, string], {}), keys, requests: short + long, inputTokens: sum('inputTokens'), cacheReadTokens: sum('cacheReadTokens'), cacheWriteTokens: sum('cacheWriteTokens'), cacheWrite1hTokens: sum('cacheWrite1hTokens'), outputTokens: sum('outputTokens'), costPicos: cost(s) * BigInt(short) + cost(l) * BigInt(long) };
    };
    const long = (team: string, requests: number) => ({ keys: ['claude-sonnet-4-5', 'anthropic', 'alice', 'claude-code', '', team], requests, ...counts(300_000) });
    const aggregates = new Map([[0, [sonnet('platform', 20, 0)]], [HOUR, [sonnet('platform', 14, 6), sonnet('infra', 0, 10)]]]);
    const longs = new Map([[HOUR, [long('platform', 6), long('infra', 10)]]]);
    const ledger = {
      aggregate: (q: { since?: number }) => Promise.resolve(aggregates.get(q.since!) ?? []),
      longRequests: (f: { since?: number }) => Promise.resolve(longs.get(f.since!) ?? []),
      tieredRequests: () => Promise.resolve([]),
    } as unknown as LedgerStore;
    const e = await explain(ledger, { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rateBook(pricer, { anthropic: 'anthropic' }), at, { field: 'team', value: 'platform' });
    expect(e.toPicos).toBeGreaterThan(e.fromPicos);
    expect(e.drivers.find((d) => d.id === 'price')!.deltaPicos).toBe(0n);
    expect(e.drivers.find((d) => d.id === 'tokens_per_request')!.detail).toBe('tokens per request, by model: claude-sonnet-4-5 40,000 → 118,000 in');
  });
});

describe('explain, service tiers', () => {
  it('reads a shift of traffic to flex as a service tier mix, not a price change, with the real price list', async () => {
    const at = Date.UTC(2026, 10, 18);
    const pricer = createPricer();
    // gpt-5 at $1.25 / $10 a million (protocols.md §6.1): 1,000 in and 100 out cost $0.00225, flex half that.
    const one = { inputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 100 };
    const cost = (tier?: string) => pricer({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5', usage: { ...one, reasoningTokens: 0, toolCalls: 0 }, at: new Date(at), serviceTier: tier }).costPicos!;
    expect([cost(), cost('flex')]).toEqual([2_250_000_000n, 1_125_000_000n]);
    const keys: [string, string, string, string, string] = ['gpt-5', 'openai', 'alice', 'openai-sdk', 'nightly'];
    const window = (flex: number) => group(keys, { requests: 100, inputTokens: 100_000, outputTokens: 10_000, costPicos: cost() * BigInt(100 - flex) + cost('flex') * BigInt(flex) });
    const aggregates = new Map([[0, [window(0)]], [HOUR, [window(60)]]]);
    const tiered = new Map([[HOUR, [{ keys: [...keys, 'data'], tier: 'flex', requests: 60, ...one, inputTokens: 60_000, outputTokens: 6_000 }]]]);
    const ledger = {
      aggregate: (q: { since?: number }) => Promise.resolve(aggregates.get(q.since!) ?? []),
      longRequests: () => Promise.resolve([]),
      tieredRequests: (f: { since?: number }) => Promise.resolve(tiered.get(f.since!) ?? []),
    } as unknown as LedgerStore;
    const e = await explain(ledger, { since: 0, until: HOUR, label: 'a' }, { since: HOUR, until: 2 * HOUR, label: 'b' }, rateBook(pricer, { openai: 'openai' }), at);
    // 60 of 100 requests at half price: $0.0675 less, all of it the tier mix.
    expect(e.toPicos - e.fromPicos).toBe(-67_500_000_000n);
    expect(e.drivers[0]).toMatchObject({ id: 'tier_mix', deltaPicos: -67_500_000_000n, detail: 'share of requests at a service tier, by model: gpt-5 flex 0% → 60%' });
    expect(e.drivers.find((d) => d.id === 'price')!.deltaPicos).toBe(0n);
    expect(e.summary).toContain('The biggest driver was service tier mix (flex, batch, priority…)');
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
    const { rows, notes } = explanationTable(d);
    expect(rows.map((r) => r[0])).toEqual(['more tokens per request (context growth)', 'total change']);
    expect(rows[0]![1]).toBe('+$1.44');
    expect(notes).toBe('No part of the change came from: cache-hit rate; new users, workflows or clients.\n');
    expect(explanationTable({ ...d, drivers: d.drivers.slice(0, 1) }).notes).toBe('');
  });

  it('says so beneath when the drivers as shown, each rounded to the cent, do not add up to the change shown', () => {
    const cents = (usd: string) => BigInt(Math.round(Number(usd) * 1e6)) * 1_000_000n;
    const driver = (id: 'requests' | 'cache', usd: string) => ({ id, label: id, deltaPicos: cents(usd), detail: '' });
    const d = { fromPicos: cents('10'), toPicos: cents('12.01'), drivers: [driver('requests', '1.005'), driver('cache', '1.005')] };
    const { rows, notes } = explanationTable(d);
    expect(rows.map((r) => r[1])).toEqual(['+$1.01', '+$1.01', '+$2.01']);
    expect(notes).toBe('Each amount is rounded to the cent on its own: the lines as shown add up to $2.02, and the total, their exact sum rounded, is $2.01. --format json gives exact amounts.\n');
    expect(explanationTable({ ...d, toPicos: cents('12.02'), drivers: [driver('requests', '1.01'), driver('cache', '1.01')] }).notes).toBe('');
  });
});
