import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../src/core/usage.js';
import { createPricer } from '../../src/pricing/index.js';
import { defaultProviders, useHarness } from '../support/harness.js';

// DeepSeek and Moonshot (Kimi) speak OpenAI's chat API but report their prompt-cache hits in fields
// of their own: DeepSeek's `prompt_cache_hit_tokens`, Moonshot's top-level `cached_tokens` (and, in a
// stream, the usage inside the last chunk's choice). Read as OpenAI's, the hits were billed at the
// full input price: for these requests, about three times their cost.

const price = createPricer();
const h = useHarness({
  price,
  providers: (url) => [
    ...defaultProviders(url),
    { name: 'deepseek', dialect: 'openai', baseUrl: url, apiKey: 'sk-deepseek', models: undefined, headers: {}, catalog: 'deepseek' },
    { name: 'moonshot', dialect: 'openai', baseUrl: url, apiKey: 'sk-moonshot', models: undefined, headers: {}, catalog: 'moonshotai' },
  ],
});

const client = (provider: string) => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/p/${provider}/v1`, maxRetries: 0 });
const expected = (provider: string, model: string, at: number) =>
  price({ provider, catalogProvider: provider, model, at: new Date(at), usage: { ...zeroUsage(), inputTokens: 1000, cacheReadTokens: 900, outputTokens: 9 } }).costPicos;

describe('cache hits of OpenAI-compatible providers', () => {
  it('DeepSeek: prompt_cache_hit_tokens are cache reads, at the cache price, streamed or not', async () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 9, total_tokens: 1009, prompt_cache_hit_tokens: 900, prompt_cache_miss_tokens: 100 };
    h.fake.script({
      body: { id: 'd1', object: 'chat.completion', created: 1, model: 'deepseek-chat', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage },
    });
    const chunk = (rest: string) => `data: {"id":"d2","object":"chat.completion.chunk","created":1,"model":"deepseek-chat",${rest}}\n\n`;
    h.fake.script({ events: [chunk('"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}],"usage":null'), chunk(`"choices":[],"usage":${JSON.stringify(usage)}`), 'data: [DONE]\n\n'] });
    const once = await client('deepseek').chat.completions.create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const streamed = await client('deepseek').chat.completions.create({ model: 'deepseek-chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    for await (const c of streamed.data) expect(c.choices).toHaveLength(1);
    for (const { response } of [once, streamed]) {
      const row = await h.row(response.headers.get('x-tollgate-request-id')!);
      expect(row).toMatchObject({ provider: 'deepseek', inputTokens: 1000, cacheReadTokens: 900, outputTokens: 9, usageSource: 'final', unpriced: false });
      expect(row.costPicos).toBe(expected('deepseek', 'deepseek-chat', row.ts));
    }
  });

  it('Moonshot: cached_tokens beside the counts, and a stream whose usage is in its last choice', async () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 9, total_tokens: 1009, cached_tokens: 900 };
    h.fake.script({
      body: { id: 'k1', object: 'chat.completion', created: 1, model: 'kimi-k2.5', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage },
    });
    const chunk = (choice: string) => `data: {"id":"k2","object":"chat.completion.chunk","created":1,"model":"kimi-k2.5","choices":[${choice}]}\n\n`;
    h.fake.script({ events: [chunk('{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}'), chunk(`{"index":0,"delta":{},"finish_reason":"stop","usage":${JSON.stringify(usage)}}`), 'data: [DONE]\n\n'] });
    const once = await client('moonshot').chat.completions.create({ model: 'kimi-k2.5', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const streamed = await client('moonshot').chat.completions.create({ model: 'kimi-k2.5', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    for await (const c of streamed.data) expect(c.choices).toHaveLength(1);
    for (const { response } of [once, streamed]) {
      const row = await h.row(response.headers.get('x-tollgate-request-id')!);
      expect(row).toMatchObject({ provider: 'moonshot', inputTokens: 1000, cacheReadTokens: 900, outputTokens: 9, usageSource: 'final', unpriced: false });
      expect(row.costPicos).toBe(expected('moonshotai', 'kimi-k2.5', row.ts));
    }
  });
});
