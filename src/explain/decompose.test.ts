import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.js';
import { type RateBook, type TokenRates, rateBook } from '../pricing/unit-rates.js';
import { type DriverId, type SpendGroup, decompose } from './decompose.js';

const USD = 1_000_000_000_000n;
const RATES: Record<string, TokenRates> = {
  small: { input: 1n * USD, cacheRead: USD / 10n, cacheWrite: (125n * USD) / 100n, output: 5n * USD },
  large: { input: 5n * USD, cacheRead: USD / 2n, cacheWrite: (625n * USD) / 100n, output: 25n * USD },
};
// flex at half the price, priority at twice it, `scale` at the standard price.
const TIERS: Record<string, number> = { flex: 0.5, priority: 2, scale: 1 };
const rates: RateBook = Object.assign((_p: string, model: string) => RATES[model], { tierFactor: (_p: string, _m: string, _at: number, tier: string) => TIERS[tier] });

interface Spec {
  model?: string;
  user?: string;
  workflow?: string;
  client?: string;
  requests?: number;
  input?: number;
  cacheShare?: number;
  output?: number;
  /** What was paid over list price (1.3: 30% more). */
  price?: number;
  /** The share of requests billed at `tier` (flex unless said). */
  tiered?: number;
  tier?: string;
}

/** A group of requests costed exactly at RATES (times `price`). */
function group(s: Spec): SpendGroup {
  const model = s.model ?? 'small';
  const requests = s.requests ?? 1000;
  const inputTokens = requests * (s.input ?? 20_000);
  const cacheReadTokens = Math.round(inputTokens * (s.cacheShare ?? 0.6));
  const outputTokens = requests * (s.output ?? 500);
  const r = RATES[model] ?? RATES.small!; // "mystery" is costed, but the rate book does not know it
  const list = (BigInt(inputTokens - cacheReadTokens) * r.input + BigInt(cacheReadTokens) * r.cacheRead + BigInt(outputTokens) * r.output) / 1_000_000n;
  // The tiered requests' part of the list price, at the tier's factor (counts pro rata).
  const tiered = Math.round(requests * (s.tiered ?? 0));
  const tier = s.tier ?? 'flex';
  const part = (x: number) => Math.round((x * tiered) / requests);
  const atTier = (list * BigInt(tiered)) / BigInt(requests);
  const paidList = list - atTier + (atTier * BigInt(Math.round(TIERS[tier]! * 1000))) / 1000n;
  const costPicos = (paidList * BigInt(Math.round((s.price ?? 1) * 1000))) / 1000n;
  const tiers = tiered === 0 ? [] : [{ tier, requests: tiered, inputTokens: part(inputTokens), cacheReadTokens: part(cacheReadTokens), cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: part(outputTokens) }];
  return { model, provider: 'p', user: s.user ?? 'alice', client: s.client ?? 'claude-code', workflow: s.workflow ?? 'review', requests, inputTokens, cacheReadTokens, cacheWriteTokens: 0, outputTokens, costPicos, tiers };
}

const base: Spec[] = [
  { user: 'alice', model: 'small', requests: 2000 },
  { user: 'alice', model: 'large', requests: 300 },
  { user: 'bob', model: 'small', requests: 1500, workflow: 'nightly' },
  { user: 'bob', model: 'large', requests: 200, workflow: 'nightly' },
];
const A = base.map(group);

function check(to: SpendGroup[], planted: DriverId): void {
  const d = decompose(A, to, rates, 0);
  const sum = d.drivers.reduce((s, x) => s + x.deltaPicos, 0n);
  expect(sum).toBe(d.toPicos - d.fromPicos);
  expect(d.drivers[0]!.id).toBe(planted);
  // The planted driver explains most of the change.
  const top = Number(d.drivers[0]!.deltaPicos);
  expect(Math.abs(top) / Math.abs(Number(d.toPicos - d.fromPicos))).toBeGreaterThan(0.8);
}

describe('explain: exact decomposition into drivers', () => {
  it('finds more requests', () => check(base.map((s) => group({ ...s, requests: s.requests! * 2 })), 'requests'));

  it('names a driver that lowered spend by its direction', () => {
    const d = decompose(A, base.map((s) => group({ ...s, requests: s.requests! / 2, input: 10_000 })), rates, 0);
    const label = (id: DriverId) => d.drivers.find((x) => x.id === id)!.label;
    expect(label('requests')).toBe('fewer requests');
    expect(label('tokens_per_request')).toBe('fewer tokens per request (context shrank)');
    const up = decompose(A, base.map((s) => group({ ...s, requests: s.requests! * 2 })), rates, 0);
    expect(up.drivers.find((x) => x.id === 'requests')!.label).toBe('more requests');
  });

  it('finds more tokens per request (context growth)', () => check(base.map((s) => group({ ...s, input: 36_000 })), 'tokens_per_request'));

  it('shows the tokens per request of the models that drove the change, not a pooled average the model mix moved the other way', () => {
    // Each model's prompts shrank, but most requests moved to the model with the longer ones: pooled, input per request rose.
    const from = [group({ model: 'large', requests: 100, input: 8_700 }), group({ model: 'small', requests: 900, input: 2_000 })];
    const to = [group({ model: 'large', requests: 900, input: 3_910 }), group({ model: 'small', requests: 100, input: 1_800 })];
    const d = decompose(from, to, rates, 0);
    const tokens = d.drivers.find((x) => x.id === 'tokens_per_request')!;
    expect(tokens.deltaPicos < 0n).toBe(true);
    expect(tokens.label).toBe('fewer tokens per request (context shrank)');
    expect(tokens.detail).toBe('tokens per request, by model: large 8,700 → 3,910 in');
  });

  it('names, behind the cache driver, the models whose own cache-read share moved its way', () => {
    // Each model reads more from cache; pooled, the share falls as requests move to the model that caches less.
    const from = [group({ model: 'large', requests: 900, cacheShare: 0.8 }), group({ model: 'small', requests: 100, cacheShare: 0.1 })];
    const to = [group({ model: 'large', requests: 100, cacheShare: 0.9 }), group({ model: 'small', requests: 900, cacheShare: 0.2 })];
    const cache = decompose(from, to, rates, 0).drivers.find((x) => x.id === 'cache')!;
    expect(cache.deltaPicos < 0n).toBe(true);
    expect(cache.detail).toBe('cache-read share of input, by model: large 80.0% → 90.0%; small 10.0% → 20.0%');
  });

  it('finds a shift to a pricier model', () => {
    const shifted: Spec[] = [
      { user: 'alice', model: 'small', requests: 300 },
      { user: 'alice', model: 'large', requests: 2000 },
      { user: 'bob', model: 'small', requests: 200, workflow: 'nightly' },
      { user: 'bob', model: 'large', requests: 1500, workflow: 'nightly' },
    ];
    check(shifted.map(group), 'model_mix');
    // Shares of requests: small 3500/4000 → 500/4000, large 500/4000 → 3500/4000.
    expect(decompose(A, shifted.map(group), rates, 0).drivers[0]!.detail).toBe('share of requests: large 13% → 88%, small 88% → 13%');
  });

  it('names requests refused before a model was known "(no model)" in the model mix', () => {
    const refused: Spec[] = [...base, { user: 'alice', model: '', requests: 3000, input: 0, output: 0 }];
    expect(decompose(A, refused.map(group), rates, 0).drivers.find((d) => d.id === 'model_mix')!.detail).toMatch(/^share of requests: \(no model\) 0% → \d+%/);
  });

  it('finds a fall in the cache-hit rate', () => check(base.map((s) => group({ ...s, cacheShare: 0.05 })), 'cache'));

  it('finds a new user, workflow or client', () => {
    const d = decompose(A, [...A, group({ user: 'carol', workflow: 'migration', client: 'codex', model: 'large', requests: 3000 })], rates, 0);
    expect(d.drivers[0]).toMatchObject({ id: 'new_subjects', detail: 'user carol, workflow migration, client codex' });
    expect(d.drivers[0]!.deltaPicos).toBe(d.toPicos - d.fromPicos);
    const others = d.drivers.slice(1).map((x) => x.deltaPicos);
    expect(others.every((x) => x === 0n)).toBe(true);
  });

  it('finds a price change', () => check(base.map((s) => group({ ...s, price: 1.4 })), 'price'));

  it('finds a shift of traffic to the flex tier, which is no price change', () => {
    check(base.map((s) => group({ ...s, tiered: 0.6 })), 'tier_mix');
    const d = decompose(A, base.map((s) => group({ ...s, tiered: 0.6 })), rates, 0);
    const part = (id: DriverId) => d.drivers.find((x) => x.id === id)!;
    expect(part('tier_mix').label).toBe('service tier mix (flex, batch, priority…)');
    expect(part('tier_mix').detail).toBe('share of requests at a service tier, by model: small flex 0% → 60%; large flex 0% → 60%');
    // Under a microdollar: float noise, not a price change.
    expect(Math.abs(Number(part('price').deltaPicos))).toBeLessThan(1e6);
  });

  it('finds a shift to priority, and a tier the rate book prices as standard moves nothing', () => {
    check(base.map((s) => group({ ...s, tiered: 0.5, tier: 'priority' })), 'tier_mix');
    const d = decompose(A, base.map((s) => group({ ...s, tiered: 0.5, tier: 'scale' })), rates, 0);
    expect(d.toPicos).toBe(d.fromPicos);
    expect(d.drivers.every((x) => x.deltaPicos === 0n)).toBe(true);
    expect(d.drivers.find((x) => x.id === 'tier_mix')!.detail).toBe("each model's mix of service tiers unchanged");
  });

  it('names the models behind a price change, with what each paid over today’s prices', () => {
    const d = decompose(A, base.map((s) => group({ ...s, price: s.model === 'large' ? 0.8 : 1 })), rates, 0);
    expect(d.drivers.find((x) => x.id === 'price')!.detail).toBe("paid per token against today's prices: large 100% → 80%");
  });

  it('counts spend that stopped against the change', () => {
    const d = decompose(A, A.filter((g) => g.user !== 'bob'), rates, 0);
    expect(d.drivers[0]).toMatchObject({ id: 'gone_subjects', detail: 'user bob, workflow nightly' });
    expect(d.drivers[0]!.deltaPicos).toBe(d.toPicos - d.fromPicos);
  });

  it('splits a model it has no price for by cost per request, still exactly', () => {
    const unknown = (s: Spec) => ({ ...group(s), model: 'mystery' });
    const d = decompose([unknown({ requests: 100 })], [unknown({ requests: 300, input: 30_000 })], rates, 0);
    expect(d.drivers.reduce((s, x) => s + x.deltaPicos, 0n)).toBe(d.toPicos - d.fromPicos);
    expect(['requests', 'tokens_per_request']).toContain(d.drivers[0]!.id);
  });

  it('always adds up exactly to the change, whatever the groups (property)', { timeout: 60_000 }, () => {
    const spec = fc.record({
      model: fc.constantFrom('small', 'large', 'mystery'),
      user: fc.constantFrom('alice', 'bob', 'carol', ''),
      workflow: fc.constantFrom('review', 'nightly', ''),
      client: fc.constantFrom('claude-code', 'codex'),
      requests: fc.integer({ min: 1, max: 100_000 }),
      input: fc.integer({ min: 0, max: 200_000 }),
      cacheShare: fc.double({ min: 0, max: 1, noNaN: true }),
      output: fc.integer({ min: 0, max: 20_000 }),
      price: fc.double({ min: 0, max: 3, noNaN: true }),
      tiered: fc.double({ min: 0, max: 1, noNaN: true }),
      tier: fc.constantFrom('flex', 'priority', 'scale'),
    });
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 12 }), fc.array(spec, { maxLength: 12 }), (a, b) => {
        const d = decompose(a.map(group), b.map(group), rates, 0);
        expect(d.drivers.reduce((s, x) => s + x.deltaPicos, 0n)).toBe(d.toPicos - d.fromPicos);
        // Float rounding stays tiny next to the amounts involved.
        expect(Number(d.roundingPicos < 0n ? -d.roundingPicos : d.roundingPicos)).toBeLessThan(1e6);
      }),
      { numRuns: 300 },
    );
  });

  it('with the real price list: no price driver when no price changed (rates of the base tier, not the long-context one)', () => {
    const sonnet = (output: number): SpendGroup => {
      const costPicos = createPricer()({ provider: 'anthropic', catalogProvider: 'anthropic', model: 'claude-sonnet-4-5', usage: { inputTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: output, reasoningTokens: 0, toolCalls: 0 }, at: new Date(Date.UTC(2026, 9, 6)) }).costPicos!;
      return { model: 'claude-sonnet-4-5', provider: 'anthropic', user: 'alice', client: 'claude-code', workflow: 'review', requests: 10, inputTokens: 100_000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 10 * output, costPicos: costPicos * 10n };
    };
    const d = decompose([sonnet(1000)], [sonnet(5000)], rateBook(createPricer(), { anthropic: 'anthropic' }), 0);
    expect(d.toPicos - d.fromPicos).toBe(600_000_000_000n); // 10 x ($0.105 - $0.045)
    const by = Object.fromEntries(d.drivers.map((x) => [x.id, x.deltaPicos]));
    expect(by.price ?? 0n).toBe(0n);
    expect(by.tokens_per_request).toBe(600_000_000_000n);
  });

  describe('with the real price list, each request referenced as the provider bills it', () => {
    const AT = Date.UTC(2026, 9, 6);
    const pricer = createPricer();
    const book = rateBook(pricer, { anthropic: 'anthropic' });
    type Counts = { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; cacheWrite1hTokens: number; outputTokens: number };
    /** Claude Code's requests to Sonnet 4.5, each priced by the gateway's pricer; those past 128K input also listed one by one. */
    const claudeCode = (requests: [Counts, number][]): SpendGroup => {
      const g: SpendGroup = { model: 'claude-sonnet-4-5', provider: 'anthropic', user: 'alice', client: 'claude-code', workflow: '', requests: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, costPicos: 0n, long: [] };
      for (const [c, n] of requests) {
        const cost = pricer({ provider: 'anthropic', catalogProvider: 'anthropic', model: g.model, usage: { ...c, reasoningTokens: 0, toolCalls: 0 }, at: new Date(AT) }).costPicos!;
        g.requests += n;
        g.costPicos += cost * BigInt(n);
        for (const k of ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens'] as const) g[k] += c[k] * n;
        if (c.inputTokens > 128_000) (g.long as unknown[]).push({ ...c, requests: n });
      }
      return g;
    };
    const warm = { inputTokens: 40_000, cacheReadTokens: 30_000, cacheWriteTokens: 8_000, cacheWrite1hTokens: 8_000, outputTokens: 800 };
    const byId = (d: ReturnType<typeof decompose>) => Object.fromEntries(d.drivers.map((x) => [x.id, x]));

    it('moves the cache driver, not the price, when writes move from the 5-minute to the 1-hour cache', () => {
      const d = decompose([claudeCode([[{ ...warm, cacheWrite1hTokens: 0 }, 20]])], [claudeCode([[warm, 20]])], book, AT);
      expect(byId(d).price!.deltaPicos).toBe(0n);
      expect(byId(d).cache).toMatchObject({ deltaPicos: d.toPicos - d.fromPicos, detail: 'cache-read share of input, by model: claude-sonnet-4-5 75.0% → 75.0%, written 20.0% → 20.0% (1-hour 0.0% → 100.0%)' });
    });

    it('prices requests past 200K input at the long-context tier: context growth, no price change', () => {
      const long = { inputTokens: 300_000, cacheReadTokens: 250_000, cacheWriteTokens: 20_000, cacheWrite1hTokens: 20_000, outputTokens: 2_000 };
      const d = decompose([claudeCode([[warm, 20]])], [claudeCode([[warm, 14], [long, 6]])], book, AT);
      expect(d.toPicos).toBeGreaterThan(d.fromPicos);
      expect(byId(d).price!.deltaPicos).toBe(0n);
      expect(byId(d).price!.detail).toBe("paid per token against today's prices");
      expect(byId(d).tokens_per_request!.label).toBe('more tokens per request (context growth)');
    });
  });

  describe('the cache driver moves with the cache-read share of input alone', () => {
    // gpt-5 list prices: $1.25 input, $0.125 cache read, $10 output per million tokens.
    const gpt5: TokenRates = { input: (125n * USD) / 100n, cacheRead: (125n * USD) / 1000n, cacheWrite: (125n * USD) / 100n, output: 10n * USD };
    const book: RateBook = () => gpt5;
    const MICRO = 1_000_000n;
    /** 420 requests (60 a day for a week) of workflow support, costed by hand. */
    const support = (input: number, cached: number, costMicros: bigint): SpendGroup => ({
      model: 'gpt-5', provider: 'openai', user: 'bob', client: 'codex', workflow: 'support', requests: 420,
      inputTokens: 420 * input, cacheReadTokens: 420 * cached, cacheWriteTokens: 0, outputTokens: 420 * 500, costPicos: 420n * costMicros * MICRO / 10n,
    });
    // 10k input half cached, 500 output (200 of them reasoning): $0.00625 + $0.000625 + $0.005 = $0.011875.
    const before = support(10_000, 5_000, 118_750n);
    const by = (d: ReturnType<typeof decompose>) => Object.fromEntries(d.drivers.map((x) => [x.id, x.deltaPicos]));

    it('gives context growth the whole change when the share stays at 50%', () => {
      // 15k input half cached: $0.009375 + $0.0009375 + $0.005 = $0.0153125.
      const d = decompose([before], [support(15_000, 7_500, 153_125n)], book, 0);
      expect(d.toPicos - d.fromPicos).toBe(1_443_750_000_000n); // 420 × ($0.0153125 − $0.011875) = $1.44375
      expect(by(d)).toMatchObject({ tokens_per_request: 1_443_750_000_000n, cache: 0n, price: 0n, requests: 0n, model_mix: 0n });
      expect(d.drivers.find((x) => x.id === 'cache')!.detail).toBe("each model's cache use unchanged");
    });

    it('splits context growth and a higher cache share by hand-checked Shapley parts', () => {
      // 15k input, 80% cached: $0.00375 + $0.0015 + $0.005 = $0.01025.
      const d = decompose([before], [support(15_000, 12_000, 102_500n)], book, 0);
      expect(d.toPicos - d.fromPicos).toBe(-682_500_000_000n); // 420 × ($0.01025 − $0.011875)
      // Input at plain rates $0.0125 → $0.01875 a request; cache factor 0.006875/0.0125 = 0.55 → 0.00525/0.01875 = 0.28.
      // Cache: 420 × ½ × ($0.0125 + $0.01875) × (0.28 − 0.55) = −$1.771875.
      // Context: 420 × ½ × (0.55 + 0.28) × ($0.01875 − $0.0125) = +$1.089375.
      expect(by(d)).toMatchObject({ cache: -1_771_875_000_000n, tokens_per_request: 1_089_375_000_000n, price: 0n, requests: 0n, model_mix: 0n });
    });
  });
});
