import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { usd } from '../../src/core/money.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';

// Requests for eight answers (OpenAI `n`, Gemini `candidateCount`) under a $0.01 daily budget, 50 at
// once through the official SDKs. The fake upstream bills all eight choices at the cap (800 output
// tokens), as the providers do: 800 × $10/M is $0.008 on gpt-4o and on gemini-2.5-pro, so one fits.

const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01' });
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(b = budget): Promise<Harness> {
  h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] } } });
  h.fake.setDefault({ usage: { output: 800 } });
  return h;
}

/** Settles every call, counts answers and refusals, and checks the budget held: spend at or under $0.01, equal to the ledger. */
async function fiftyAtOnce(h: Harness, call: () => Promise<unknown>, status: (e: unknown) => number | undefined): Promise<{ ok: number; refusals: string[] }> {
  const results = await Promise.allSettled(Array.from({ length: 50 }, call));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  expect(failed.map(status)).toEqual(failed.map(() => 402));
  expect(ok).toBeGreaterThanOrEqual(1);
  const rows = await h.rows();
  expect(rows).toHaveLength(50);
  const ledger = rows.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
  // Each admitted request was billed for its eight choices.
  expect(rows.filter((r) => r.outcome === 'ok').map((r) => r.outputTokens)).toEqual(Array.from({ length: ok }, () => 800));
  expect(ledger).toBeLessThanOrEqual(usd('0.01'));
  await eventually(async () => expect(await counterOn(h.tollgate, budget)).toMatchObject({ spent: ledger, held: 0n }));
  return { ok, refusals: failed.map((e) => String((e as Error).message)) };
}

describe('requests for several choices under a hard budget', () => {
  it('OpenAI chat with n: 8 and max_tokens: 100: 50 at once settle at or under $0.01', async () => {
    const h = await start();
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const call = () => client.chat.completions.create({ model: 'gpt-4o', max_tokens: 100, n: 8, messages: [{ role: 'user', content: 'Name a colour.' }] });
    const { refusals } = await fiftyAtOnce(h, call, (e) => (e instanceof OpenAI.APIError ? e.status : undefined));
    expect(refusals[0]).toContain('It asks for 8 choices');
    // Each request went upstream as sent: the estimate changes nothing in it.
    expect(h.fake.requests[0]!.json).toMatchObject({ n: 8, max_tokens: 100 });
  });

  it('Gemini generateContent with candidateCount: 8 and maxOutputTokens: 100: 50 at once settle at or under $0.01', async () => {
    const h = await start();
    // The fake's Gemini usage is per candidate (candidatesTokenCount counts them all): eight of 100 bill 800.
    h.fake.setDefault({ usage: { output: 100 } });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const call = () => ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Name a colour.', config: { maxOutputTokens: 100, candidateCount: 8 } });
    const { refusals } = await fiftyAtOnce(h, call, (e) => (e as { status?: number }).status);
    expect(refusals[0]).toContain('It asks for 8 choices');
    expect(h.fake.requests[0]!.json).toMatchObject({ generationConfig: { maxOutputTokens: 100, candidateCount: 8 } });
  });

  it('enforce_max_tokens writes each choice’s share of the room as the cap upstream', async () => {
    const h = await start(testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', enforce_max_tokens: true }));
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o', max_tokens: 1000, n: 8, messages: [{ role: 'user', content: 'Name a colour.' }] });
    const sent = h.fake.requests[0]!.json as { max_tokens: number; n: number };
    // $0.01 at $10/M of output is 1,000 tokens for all eight, less the input's share: under 125 each.
    expect(sent.n).toBe(8);
    expect(sent.max_tokens).toBeGreaterThan(100);
    expect(sent.max_tokens).toBeLessThan(125);
  });
});
