import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configFile } from '../../src/config/testing.js';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/**
 * Price overrides from a config file, priced as `tollgate serve` prices (createPricer over the
 * config's pricing), through the gateway and the real SDKs: a user audit found an override
 * dropping the model's per-search fees and its long-context tier.
 */
const config = loadConfig({
  env: {},
  file: configFile(`providers:
  - { name: openai, dialect: openai, base_url: "http://127.0.0.1:1", catalog: openai }
  - { name: antd, dialect: anthropic, base_url: "http://127.0.0.1:1", catalog: anthropic }
pricing:
  discounts: { antd: 0.05 }
  overrides:
    - { model: "claude-sonnet-5-5*", provider: antd, input: 1.80, cache_read: 0.09, cache_write: 2.25, cache_write_1h: 3.60, output: 9.00 }
    - model: "gpt-5.6-sol*"
      input: 5.00
      cache_read: 0.50
      cache_write: 6.25
      output: 30.00
      long_context: { above_tokens: 271999, input: 10.00, cache_read: 1.00, cache_write: 12.50, output: 45.00 }
    - { model: "claude-haiku-5-5*", input: 0.09, output: 0.45, long_context: { above_tokens: 100000, input: 0.45, output: 2.25 } }
`),
});

describe('price overrides from the config, through the gateway', () => {
  const h = useHarness({
    price: createPricer(config.pricing),
    providers: (url) => config.providers.map((p) => ({ ...p, baseUrl: url, apiKey: `sk-${p.name}` })),
  });
  const anthropic = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
  const openai = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const rowOf = async (r: { headers: Headers }) => h.row(r.headers.get('x-tollgate-request-id')!);

  it('a Message under an override still pays for its web searches, and the discount takes 5% off the whole', async () => {
    // (1,000 × 1.8e6 + 1,000 × 9e6 + 3 searches × 1e10) × 0.95 = 3.876e10 ($0.03876; it was $0.01026)
    h.fake.setDefault({ usage: { input: 1_000, output: 1_000, webSearches: 3 } });
    const { data, response } = await anthropic().messages.create({ model: 'claude-sonnet-5-5', max_tokens: 2_000, messages: [{ role: 'user', content: 'What happened today?' }] }).withResponse();
    expect(data.usage.server_tool_use?.web_search_requests).toBe(3);
    expect(await rowOf(response)).toMatchObject({ provider: 'antd', model: 'claude-sonnet-5-5', inputTokens: 1_000, outputTokens: 1_000, costPicos: 38_760_000_000n, unpriced: false });
  });

  it('a Response under an override pays for its tool_usage searches at the catalog entry’s price', async () => {
    // 1,000 × 5e6 + 100 × 30e6 + 2 × 1e10 = 2.8e10 ($0.028; it was $0.008)
    h.fake.setDefault({ usage: { input: 1_000, output: 100, webSearches: 2 } });
    const { response } = await openai().responses.create({ model: 'gpt-5.6-sol', input: 'What happened today?' }).withResponse();
    expect(await rowOf(response)).toMatchObject({ provider: 'openai', model: 'gpt-5.6-sol', inputTokens: 1_000, outputTokens: 100, costPicos: 28_000_000_000n });
  });

  it('a chat completion past the override’s long-context boundary is billed whole at its long prices, one under it at the short', async () => {
    // 300,000 × 10e6 + 1,000 × 45e6 = $3.045 (a flat override gave $1.53); 271,999 × 5e6 + 1,000 × 30e6 under it.
    h.fake.setDefault({ usage: { input: 300_000, output: 1_000 } });
    const long = await openai().chat.completions.create({ model: 'gpt-5.6-sol', messages: [{ role: 'user', content: 'A long one.' }] }).withResponse();
    expect(await rowOf(long.response)).toMatchObject({ inputTokens: 300_000, outputTokens: 1_000, costPicos: 3_045_000_000_000n });
    h.fake.setDefault({ usage: { input: 271_999, output: 1_000 } });
    const short = await openai().chat.completions.create({ model: 'gpt-5.6-sol', messages: [{ role: 'user', content: 'A shorter one.' }] }).withResponse();
    expect(await rowOf(short.response)).toMatchObject({ inputTokens: 271_999, costPicos: 271_999n * 5_000_000n + 30_000_000_000n });
  });

  it('Haiku 5.5 under an override with its 100K tier: 150,000 input tokens at five times the short prices, less the discount', async () => {
    // (150,000 × 0.45e6 + 1,000 × 2.25e6) × 0.95 = 6.975e10 × 0.95 (a flat override gave 1.395e10 × 0.95)
    h.fake.setDefault({ usage: { input: 150_000, output: 1_000 } });
    const { response } = await anthropic().messages.create({ model: 'claude-haiku-5-5', max_tokens: 2_000, messages: [{ role: 'user', content: 'A long one.' }] }).withResponse();
    expect(await rowOf(response)).toMatchObject({ provider: 'antd', inputTokens: 150_000, costPicos: 66_262_500_000n });
  });
});
