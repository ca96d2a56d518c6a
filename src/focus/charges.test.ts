import { describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { createPricer } from '../pricing/index.js';
import { sampleRow } from '../storage/testing/rows.js';
import { focusRecords, pieces } from './charges.js';
import { focusContext } from './context.js';

const config: Pick<Config, 'providers' | 'pricing'> = {
  providers: [{ name: 'anthropic', dialect: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined }],
  pricing: { discounts: {}, overrides: [], fastMode: [] },
};
const usd = (dollars: number) => BigInt(Math.round(dollars * 1e9)) * 1000n;

function priced(o: Partial<LedgerRow>): LedgerRow {
  const r = sampleRow({ provider: 'anthropic', model: 'claude-sonnet-4-5', cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, ts: Date.UTC(2026, 9, 6), ...o });
  return { ...r, costPicos: createPricer()({ provider: 'anthropic', catalogProvider: 'anthropic', model: r.model, usage: r, at: new Date(r.ts) }).costPicos };
}

const split = (r: LedgerRow) => Object.fromEntries(pieces(r, focusContext(config)).map((p) => [p.cls, p.billed]));

describe('FOCUS charges of one request', () => {
  it("splits a long-context request's cost at its own tier's prices (Sonnet 4.5 past 200K: $6, $0.60, $22.50)", () => {
    const r = priced({ inputTokens: 250_000, cacheReadTokens: 200_000, outputTokens: 1_000 });
    expect(r.costPicos).toBe(usd(0.4425));
    expect(split(r)).toEqual({ input: usd(0.3), cache_read: usd(0.12), output: usd(0.0225) });
  });

  it('keeps input past a long-context threshold apart from base-price input: one unit price per SkuPriceId', async () => {
    // In one hour, with the same attribution: 300,000 input at $6 and 1,000 at $3 a million.
    const long = { ...priced({ id: 'long', inputTokens: 300_000, cacheReadTokens: 0, outputTokens: 1_000 }), ts: Date.UTC(2026, 9, 6, 10, 5) };
    const short = { ...priced({ id: 'short', inputTokens: 1_000, cacheReadTokens: 0, outputTokens: 100 }), ts: Date.UTC(2026, 9, 6, 10, 20) };
    async function* rows(): AsyncIterable<LedgerRow> {
      yield await Promise.resolve(long);
      yield await Promise.resolve(short);
    }
    const out = [];
    for await (const r of focusRecords(rows(), focusContext(config))) out.push([r.SkuPriceId, r.PricingQuantity, r.BilledCost, r.ChargeDescription]);
    expect(out).toEqual([
      ['anthropic:claude-sonnet-4-5:input', 1_000, usd(0.003), 'claude-sonnet-4-5 input tokens via anthropic'],
      ['anthropic:claude-sonnet-4-5:input:long_context', 300_000, usd(1.8), 'claude-sonnet-4-5 input tokens via anthropic at long-context prices'],
      ['anthropic:claude-sonnet-4-5:output', 100, usd(0.0015), 'claude-sonnet-4-5 output tokens via anthropic'],
      ['anthropic:claude-sonnet-4-5:output:long_context', 1_000, usd(0.0225), 'claude-sonnet-4-5 output tokens via anthropic at long-context prices'],
    ]);
  });

  it('keeps input listed past a long-context threshold apart under a flat override: one list price per SkuPriceId', async () => {
    // Sonnet 4.5 negotiated flat at $2.40 a million, however long; its list is $6 past 200K input, $3 under.
    const flat = focusContext({ ...config, pricing: { ...config.pricing, overrides: [{ model: 'claude-sonnet-4-5', provider: 'anthropic', input: '2.4', output: '12', cacheRead: undefined, cacheWrite: undefined, cacheWrite1h: undefined }] } });
    const row = (id: string, minute: number, input: number) => ({ ...priced({ id, inputTokens: input, cacheReadTokens: 0, outputTokens: 0 }), ts: Date.UTC(2026, 9, 6, 10, minute), costPicos: usd(input * 2.4e-6) });
    async function* rows(): AsyncIterable<LedgerRow> {
      yield await Promise.resolve(row('long', 5, 300_000));
      yield await Promise.resolve(row('short', 20, 100_000));
    }
    const out = [];
    for await (const r of focusRecords(rows(), flat)) out.push([r.SkuPriceId, r.PricingQuantity, r.ListCost, r.BilledCost]);
    expect(out).toEqual([
      ['anthropic:claude-sonnet-4-5:input', 100_000, usd(0.3), usd(0.24)],
      ['anthropic:claude-sonnet-4-5:input:long_context', 300_000, usd(1.8), usd(0.72)],
    ]);
  });

  it('splits a request under the threshold at the base prices', () => {
    const r = priced({ inputTokens: 50_000, cacheReadTokens: 40_000, cacheWriteTokens: 5_000, cacheWrite1hTokens: 1_000, outputTokens: 2_000 });
    // 5,000 x $3 + 40,000 x $0.30 + 4,000 x $3.75 + 1,000 x $6 + 2,000 x $15, per million.
    expect(split(r)).toEqual({ input: usd(0.015), cache_read: usd(0.012), cache_write_5m: usd(0.015), cache_write_1h: usd(0.006), output: usd(0.03) });
  });

  it('names the host of rows from OpenTelemetry spans by the catalog their provider name stands for, and the publisher by the model', () => {
    const ctx = focusContext(config);
    expect(ctx.vendorOf('gcp.gemini', 'gemini-2.5-pro')).toEqual({ provider: 'Google', publisher: 'Google', service: 'Gemini API', sku: 'google' });
    expect(ctx.vendorOf('aws.bedrock', 'anthropic.claude-sonnet-4-5-20250929-v1:0')).toEqual({ provider: 'AWS', publisher: 'Anthropic', service: 'Claude on Amazon Bedrock', sku: 'aws' });
    expect(ctx.vendorOf('gcp.vertex_ai', 'claude-sonnet-4-5@20250929')).toEqual({ provider: 'Google', publisher: 'Anthropic', service: 'Claude on Vertex AI', sku: 'google' });
    expect(ctx.vendorOf('gcp.vertex_ai', 'gemini-2.5-pro')).toEqual({ provider: 'Google', publisher: 'Google', service: 'Vertex AI', sku: 'google' });
    expect(ctx.vendorOf('azure.ai.openai', 'gpt-4o')).toEqual({ provider: 'Microsoft', publisher: 'OpenAI', service: 'Azure OpenAI', sku: 'azure' });
    expect(ctx.vendorOf('anthropic', 'claude-sonnet-4-5')).toEqual({ provider: 'Anthropic', publisher: 'Anthropic', service: 'Claude API', sku: 'anthropic' });
  });

  it('takes a configured provider at a Vertex AI address for Vertex AI', () => {
    const vertex = { ...config.providers[0]!, name: 'vertex', dialect: 'anthropic' as const, baseUrl: 'https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5', catalog: 'google' };
    const ctx = focusContext({ ...config, providers: [vertex] });
    expect(ctx.vendorOf('vertex', 'claude-sonnet-4-5@20250929')).toEqual({ provider: 'Google', publisher: 'Anthropic', service: 'Claude on Vertex AI', sku: 'google' });
    expect(ctx.vendorOf('vertex', 'gemini-2.5-flash')).toEqual({ provider: 'Google', publisher: 'Google', service: 'Vertex AI', sku: 'google' });
  });
});

describe('FOCUS ListCost', () => {
  // A discount of 20% configured today, over OpenAI rows from before it (paid at list) and after it.
  const discounted: Pick<Config, 'providers' | 'pricing'> = {
    providers: [{ name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined }],
    pricing: { discounts: { openai: '0.2' }, overrides: [], fastMode: [] },
  };
  // gpt-5: 10,000 input at $1.25/M + 10,000 output at $10/M = $0.1125 at list.
  const gpt5 = (ts: number, i: number, paid: bigint): LedgerRow => ({
    ...sampleRow({ id: `r${ts}-${i}`, provider: 'openai', model: 'gpt-5', inputTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 10_000, reasoningTokens: 0, ts: ts + i * 1000, tags: {} }),
    costPicos: paid,
    unpriced: false,
  });
  const ledger = [
    ...Array.from({ length: 40 }, (_, i) => gpt5(Date.UTC(2026, 10, 16, 10), i, usd(0.1125))), // before the discount: at list
    ...Array.from({ length: 40 }, (_, i) => gpt5(Date.UTC(2026, 10, 18, 10), i, usd(0.09))), // after it: 20% off
  ];
  async function* rows(): AsyncIterable<LedgerRow> {
    for (const r of ledger) yield await Promise.resolve(r);
  }

  it('is the list price at the row’s date for rows paid before today’s discount, not their cost grossed up by it', async () => {
    expect(createPricer()({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5', usage: gpt5(Date.UTC(2026, 10, 16, 10), 0, 0n), at: new Date(Date.UTC(2026, 10, 16, 10)) }).costPicos).toBe(usd(0.1125));
    const out = [];
    for await (const r of focusRecords(rows(), focusContext(discounted))) out.push(r);
    const costs = out.map((r) => [new Date(r.ChargePeriodStart as number).toISOString().slice(0, 10), r.x_TokenClass, r.ListCost, r.ContractedCost, r.EffectiveCost, r.BilledCost]);
    expect(costs).toEqual([
      // 40 × $0.0125 input and 40 × $0.10 output, paid at list: ListCost = BilledCost ($4.50 in all, not $5.625).
      ['2026-11-16', 'input', usd(0.5), usd(0.5), usd(0.5), usd(0.5)],
      ['2026-11-16', 'output', usd(4), usd(4), usd(4), usd(4)],
      // The same counts paid 20% under list: ListCost $4.50, the others $3.60.
      ['2026-11-18', 'input', usd(0.5), usd(0.4), usd(0.4), usd(0.4)],
      ['2026-11-18', 'output', usd(4), usd(3.2), usd(3.2), usd(3.2)],
    ]);
  });

  // qwen-local priced by an override alone: 10,000 input at $2/M + 10,000 output at $3/M = $0.05.
  const local = (paid: bigint) => ({ ...gpt5(Date.UTC(2026, 10, 16, 10), 0, paid), provider: 'local', model: 'qwen-local' });
  const localCtx = (discounts: Record<string, string>) =>
    focusContext({ providers: [{ ...discounted.providers[0]!, name: 'local', baseUrl: 'http://127.0.0.1:8000' }], pricing: { discounts, fastMode: [], overrides: [{ model: 'qwen-local', provider: 'local', input: '2', output: '3', cacheRead: undefined, cacheWrite: undefined, cacheWrite1h: undefined }] } });

  it('is the override price where only an override prices the model', () => {
    expect(localCtx({}).listOf(local(usd(0.05)))).toBe(usd(0.05));
    expect(pieces(local(usd(0.05)), localCtx({})).reduce((s, p) => s + p.list, 0n)).toBe(usd(0.05));
  });

  it('is the override price before the discount where only an override prices the model, so the discount shows', () => {
    const ctx = localCtx({ local: '0.1' });
    const p = pieces(local(usd(0.045)), ctx);
    expect(p.reduce((s, x) => s + x.list, 0n)).toBe(usd(0.05));
    expect(p.reduce((s, x) => s + x.billed, 0n)).toBe(usd(0.045));
  });

  it('is the billed cost where neither the catalog nor an override prices the model', () => {
    const ctx = localCtx({});
    const unknown = { ...local(usd(0.07)), model: 'mystery-local' };
    expect(ctx.listOf(unknown)).toBeUndefined();
    expect(pieces(unknown, ctx).reduce((s, x) => s + x.list, 0n)).toBe(usd(0.07));
  });

  it('is split at the list prices of each class under an override whose proportions are not the list ones', async () => {
    // Negotiated gpt-5 at $1 in and $10 out a million (list: $1.25 and $10). Billed $2 for 1M in
    // and 100K out in one hour, $1 for 1M in alone the next: every input row lists at $1.25 a million.
    const negotiated = focusContext({ ...discounted, pricing: { discounts: {}, fastMode: [], overrides: [{ model: 'gpt-5', provider: 'openai', input: '1', output: '10', cacheRead: undefined, cacheWrite: undefined, cacheWrite1h: undefined }] } });
    const mixed = { ...gpt5(Date.UTC(2026, 10, 16, 10), 0, usd(2)), inputTokens: 1_000_000, outputTokens: 100_000 };
    const inputOnly = { ...gpt5(Date.UTC(2026, 10, 16, 11), 0, usd(1)), inputTokens: 1_000_000, outputTokens: 0 };
    async function* rows(): AsyncIterable<LedgerRow> {
      yield await Promise.resolve(mixed);
      yield await Promise.resolve(inputOnly);
    }
    const out = [];
    for await (const r of focusRecords(rows(), negotiated)) out.push([r.SkuPriceId, r.PricingQuantity, r.ListCost, r.BilledCost]);
    expect(out).toEqual([
      ['openai:gpt-5:input', 1_000_000, usd(1.25), usd(1)],
      ['openai:gpt-5:output', 100_000, usd(1), usd(1)],
      ['openai:gpt-5:input', 1_000_000, usd(1.25), usd(1)],
    ]);
  });

  it('is split at the list prices of each class where the list comes to what the override billed', () => {
    // At $2.50 in and $5 out a million, 1M in and 250K out bill $3.75, as they list ($1.25 + $2.50).
    const negotiated = focusContext({ ...discounted, pricing: { discounts: {}, fastMode: [], overrides: [{ model: 'gpt-5', provider: 'openai', input: '2.5', output: '5', cacheRead: undefined, cacheWrite: undefined, cacheWrite1h: undefined }] } });
    const r = { ...gpt5(Date.UTC(2026, 10, 16, 10), 0, usd(3.75)), inputTokens: 1_000_000, outputTokens: 250_000 };
    expect(Object.fromEntries(pieces(r, negotiated).map((p) => [p.cls, [p.list, p.billed]]))).toEqual({ input: [usd(1.25), usd(2.5)], output: [usd(2.5), usd(1.25)] });
  });
});

describe('FOCUS ListCost at the row’s service tier', () => {
  // Prices by hand from protocols.md §6: gpt-5 $1.25 / $10 a million (flex 0.5x, priority 2x);
  // Sonnet 4.5 $3 / $15 (batch 0.5x); Opus 5.5 $4 / $20 (fast mode 2x, US-only 1.1x).
  const openai: Pick<Config, 'providers' | 'pricing'> = {
    providers: [...config.providers, { name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined }],
    pricing: { discounts: { openai: '0.2', anthropic: '0.1' }, overrides: [], fastMode: [] },
  };
  const row = (o: Partial<LedgerRow>, paid: bigint): LedgerRow => ({
    ...sampleRow({ provider: 'openai', model: 'gpt-5', inputTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 10_000, reasoningTokens: 0, ts: Date.UTC(2026, 10, 18, 10), tags: {}, ...o }),
    costPicos: paid,
    unpriced: false,
  });
  const list = (r: LedgerRow) => Object.fromEntries(pieces(r, focusContext(openai)).map((p) => [p.cls, p.list]));

  it('a flex row: list is half the standard price ($0.05625), not its cost doubled into a discount it never had', () => {
    // 10,000 x $0.625 + 10,000 x $5 a million; paid 20% under that.
    expect(list(row({ serviceTier: 'flex' }, usd(0.045)))).toEqual({ input: usd(0.00625), output: usd(0.05) });
    // At standard the same counts list at $0.1125.
    expect(list(row({}, usd(0.09)))).toEqual({ input: usd(0.0125), output: usd(0.1) });
  });

  it('a priority row: list is twice the standard price ($0.225), so its discount shows', () => {
    expect(list(row({ serviceTier: 'priority' }, usd(0.18)))).toEqual({ input: usd(0.025), output: usd(0.2) });
  });

  it('a batch row of a Message Batch: list at the batch price ($0.0225 for 10,000 in and 1,000 out of Sonnet 4.5)', () => {
    const r = row({ api: 'anthropic.batch_message', provider: 'anthropic', model: 'claude-sonnet-4-5', outputTokens: 1_000, serviceTier: 'batch', ts: Date.UTC(2026, 9, 6) }, usd(0.02025));
    expect(list(r)).toEqual({ input: usd(0.015), output: usd(0.0075) });
  });

  it('an Anthropic fast-mode row in the US only: list at both premiums ($0.0132 for 1,000 in and 100 out of Opus 5.5)', () => {
    const r = row({ provider: 'anthropic', model: 'claude-opus-5-5', inputTokens: 1_000, outputTokens: 100, serviceTier: 'fast+us' }, usd(0.01188));
    expect(list(r)).toEqual({ input: usd(0.0088), output: usd(0.0044) });
  });

  it('keeps tiers apart: their own SKU price, description and x_ServiceTier', async () => {
    async function* rows(): AsyncIterable<LedgerRow> {
      yield await Promise.resolve(row({ id: 'std' }, usd(0.09)));
      yield await Promise.resolve(row({ id: 'flex', serviceTier: 'flex' }, usd(0.045)));
    }
    const out = [];
    for await (const r of focusRecords(rows(), focusContext(openai))) if (r.x_TokenClass === 'output') out.push([r.SkuPriceId, r.ChargeDescription, r.x_ServiceTier, r.ListCost, r.BilledCost]);
    expect(out).toEqual([
      ['openai:gpt-5:output', 'gpt-5 output tokens via openai', null, usd(0.1), usd(0.08)],
      ['openai:gpt-5:output:flex', 'gpt-5 output tokens via openai at the flex tier', 'flex', usd(0.05), usd(0.04)],
    ]);
  });
});

describe('FOCUS Tags', () => {
  // A key of team web; the request sent `x-tollgate-tags: team=finance-allocation,cost_center=cc-9`.
  const r = priced({ inputTokens: 100, cacheReadTokens: 0, outputTokens: 10, user: 'carol', team: 'web', project: 'site', client: 'curl', sessionId: null, pool: null, tags: { team: 'finance-allocation', cost_center: 'cc-9' } });
  async function tagsOf(row: LedgerRow): Promise<unknown[]> {
    const tags = [];
    for await (const rec of focusRecords((async function* () { yield await Promise.resolve(row); })(), focusContext(config))) tags.push(rec.Tags);
    expect(tags.length).toBeGreaterThan(0);
    return tags;
  }

  it('keeps the request tags as sent and puts the attribution of Tollgate under its tollgate/ prefix', async () => {
    for (const t of await tagsOf(r)) expect(t).toEqual({ cost_center: 'cc-9', team: 'finance-allocation', 'tollgate/user': 'carol', 'tollgate/team': 'web', 'tollgate/project': 'site', 'tollgate/client': 'curl' });
  });

  it('prefixes session and pool as well, and leaves out attribution the row has not', async () => {
    const withPool = { ...r, sessionId: 's-9', pool: 'shared', user: null };
    for (const t of await tagsOf(withPool)) expect(t).toEqual({ cost_center: 'cc-9', team: 'finance-allocation', 'tollgate/team': 'web', 'tollgate/project': 'site', 'tollgate/session': 's-9', 'tollgate/client': 'curl', 'tollgate/pool': 'shared' });
  });
});
