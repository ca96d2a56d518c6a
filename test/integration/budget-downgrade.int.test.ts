import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';

// The audit: a budget downgrading to claude-haiku-4-5, past its threshold, in front of the
// default OpenAI, Anthropic and Gemini providers (each takes any model name), priced by the real catalog.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });

async function send(path: string, body: Record<string, unknown>, headers: Record<string, string>) {
  const res = await fetch(`${h!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.text();
  return { status: res.status, rewritten: res.headers.get('x-tollgate-model-rewritten'), skipped: res.headers.get('x-tollgate-downgrade-skipped'), id: res.headers.get('x-tollgate-request-id')! };
}

const messages = (model: string) => send('/v1/messages', { model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': h!.key.key, 'anthropic-version': '2023-06-01' });

describe('a budget downgrade past its threshold', () => {
  it('serves its target only to requests it can serve for less: not OpenAI or Gemini requests, not a model already cheaper', async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    // 400 output tokens of claude-sonnet-4-5 at $15/M: $0.006, 60% of the day's $0.01.
    h.fake.setDefault({ usage: { input: 0, output: 400 } });
    expect((await messages('claude-sonnet-4-5')).rewritten).toBeNull();
    await eventually(async () => expect((await counterOn(h!.tollgate, budget)).spent).toBe(6_000_000_000n));
    h.fake.setDefault({ usage: { input: 10, output: 5 } });
    const before = h.fake.requests.length;

    const openai = await send('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${h.key.key}` });
    const gemini = await send('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 50 } }, { 'x-goog-api-key': h.key.key });
    const sonnet = await messages('claude-sonnet-4-5');
    const older = await messages('claude-3-haiku-20240307');
    expect([openai, gemini, sonnet, older].map((r) => r.status)).toEqual([200, 200, 200, 200]);

    expect(openai).toMatchObject({ rewritten: null, skipped: 'claude-haiku-4-5; reason=not_served' });
    expect(gemini).toMatchObject({ rewritten: null, skipped: 'claude-haiku-4-5; reason=not_served' });
    expect(sonnet).toMatchObject({ rewritten: 'claude-sonnet-4-5->claude-haiku-4-5', skipped: null });
    expect(older).toMatchObject({ rewritten: null, skipped: 'claude-haiku-4-5; reason=not_cheaper' });
    const sent = h.fake.requests.slice(before).map((r) => `${r.path} ${(r.json as { model?: string }).model ?? ''}`.trim());
    expect(sent).toEqual(['/v1/chat/completions gpt-4o-mini', '/v1beta/models/gemini-2.5-flash:generateContent', '/v1/messages claude-haiku-4-5', '/v1/messages claude-3-haiku-20240307']);

    // Each row is priced at the model it was served, so the budget counts it.
    const rows = await Promise.all([openai, gemini, sonnet, older].map((r) => h!.row(r.id)));
    expect(rows.map((r) => [r.model, r.costPicos !== null])).toEqual([
      ['gpt-4o-mini', true],
      ['gemini-2.5-flash', true],
      ['claude-haiku-4-5', true],
      ['claude-3-haiku-20240307', true],
    ]);
  });

  it('leaves a Gemini request for a dearer Gemini model alone: Gemini’s API does not serve Claude, though Google’s catalog prices it', async () => {
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 0, output: 400 } });
    await messages('claude-sonnet-4-5');
    await eventually(async () => expect((await counterOn(h!.tollgate, budget)).spent).toBe(6_000_000_000n));
    h.fake.setDefault({ usage: { input: 10, output: 5 } });
    const before = h.fake.requests.length;

    const pro = await send('/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 50 } }, { 'x-goog-api-key': h.key.key });
    expect(pro).toMatchObject({ status: 200, rewritten: null, skipped: 'claude-haiku-4-5; reason=not_served' });
    expect(h.fake.requests.slice(before).map((r) => r.path)).toEqual(['/v1beta/models/gemini-2.5-pro:generateContent']);
    expect((await h.row(pro.id)).model).toBe('gemini-2.5-pro');
  });
});

describe('a budget downgrade to another vendor’s model that an override without a provider prices', () => {
  // pricing.overrides: gpt-5-mini with no provider prices it at every provider, the Anthropic one (which takes any model name) too.
  const price = createPricer({ overrides: [{ model: 'gpt-5-mini', input: '0.25', output: '2' }] });
  const toMini = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'gpt-5-mini' } });

  it('leaves an Anthropic SDK request for claude-sonnet-4-5 on its model, and says why: Anthropic does not serve gpt-5-mini', async () => {
    h = await startHarness({ price, policy: { rules: { budgets: [toMini], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 0, output: 400 } });
    await messages('claude-sonnet-4-5');
    await eventually(async () => expect((await counterOn(h!.tollgate, toMini)).spent).toBe(6_000_000_000n));
    h.fake.setDefault({ usage: { input: 10, output: 5 } });
    const before = h.fake.requests.length;

    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const { data, response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(response.headers.get('x-tollgate-downgrade-skipped')).toBe('gpt-5-mini; reason=not_served');
    expect(response.headers.get('x-tollgate-model-rewritten')).toBeNull();
    expect(h.fake.requests.slice(before).map((r) => `${r.path} ${(r.json as { model: string }).model}`)).toEqual(['/v1/messages claude-sonnet-4-5']);
    expect((await h.row(response.headers.get('x-tollgate-request-id')!)).model).toBe('claude-sonnet-4-5');

    // An OpenAI request, which the OpenAI provider serves gpt-5-mini for, is still downgraded.
    const chat = await send('/v1/chat/completions', { model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${h.key.key}` });
    expect(chat).toMatchObject({ status: 200, rewritten: 'gpt-5->gpt-5-mini', skipped: null });
  });
});
