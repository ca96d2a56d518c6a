import { describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { createPricer } from '../pricing/index.js';
import { sampleRow } from '../storage/testing/rows.js';
import { pieces } from './charges.js';
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

  it('splits a request under the threshold at the base prices', () => {
    const r = priced({ inputTokens: 50_000, cacheReadTokens: 40_000, cacheWriteTokens: 5_000, cacheWrite1hTokens: 1_000, outputTokens: 2_000 });
    // 5,000 x $3 + 40,000 x $0.30 + 4,000 x $3.75 + 1,000 x $6 + 2,000 x $15, per million.
    expect(split(r)).toEqual({ input: usd(0.015), cache_read: usd(0.012), cache_write_5m: usd(0.015), cache_write_1h: usd(0.006), output: usd(0.03) });
  });

  it('names the vendor of rows from OpenTelemetry spans by the catalog their provider name stands for', () => {
    const ctx = focusContext(config);
    expect(ctx.vendorOf('gcp.gemini')).toEqual({ name: 'Google', service: 'Gemini API', sku: 'google' });
    expect(ctx.vendorOf('aws.bedrock')).toEqual({ name: 'AWS', service: 'Amazon Bedrock', sku: 'aws' });
    expect(ctx.vendorOf('anthropic')).toEqual({ name: 'Anthropic', service: 'Claude API', sku: 'anthropic' });
  });
});

