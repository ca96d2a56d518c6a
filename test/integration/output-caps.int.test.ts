import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { createPricer } from '../../src/pricing/index.js';
import { counterOn, testBudget, useHarness } from '../support/harness.js';

// Output caps as clients may send them (a fraction, a number past what a budget can count), through
// the gateway's HTTP path with a budget, priced by the real catalog: never a 500, never "unpriced".

const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
const log: Logger = { debug: () => undefined, info: () => undefined, warn: (msg, fields) => void warnings.push({ msg, fields }), error: (msg, fields) => void warnings.push({ msg, fields }) };
const team = testBudget({ scope: 'team:platform', window: 'month', limit_usd: 400 });
const h = useHarness({ price: createPricer(), log, policy: { rules: { budgets: [team], rateLimits: [], modelPolicies: [] } } });

function post(path: string, body: Record<string, unknown>, auth: Record<string, string> = {}) {
  return fetch(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
}

const hi = [{ role: 'user', content: 'hi' }];

describe('client output caps with a budget', () => {
  it('forwards a fractional cap unchanged in every dialect, and holds nothing once answered', async () => {
    const cases = [
      { path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_tokens: 1.5, messages: hi }, cap: (j: Record<string, unknown>) => j.max_tokens, sent: 1.5 },
      { path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 0.5, messages: hi }, cap: (j: Record<string, unknown>) => j.max_tokens, sent: 0.5 },
      { path: '/v1beta/models/gemini-2.5-flash:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 2.5 } }, cap: (j: Record<string, unknown>) => (j.generationConfig as Record<string, unknown>).maxOutputTokens, sent: 2.5 },
      { path: '/v1/responses', body: { model: 'gpt-4o-mini', max_output_tokens: 7.25, input: 'hi' }, cap: (j: Record<string, unknown>) => j.max_output_tokens, sent: 7.25 },
    ];
    for (const c of cases) {
      h.fake.reset();
      const res = await post(c.path, c.body, c.path.startsWith('/v1beta') ? { 'x-goog-api-key': h.key.key } : {});
      const text = await res.text();
      expect({ path: c.path, status: res.status }, text).toEqual({ path: c.path, status: 200 });
      const [rec] = await h.fake.waitForRequests(1);
      expect(c.cap(rec!.json as Record<string, unknown>)).toBe(c.sent);
    }
    await expect.poll(async () => (await counterOn(h.tollgate, team)).held).toBe(0n);
    expect(warnings).toEqual([]);
  });

  it('refuses a cap too large to price as more than the whole limit, reserving nothing and calling no model unpriced', async () => {
    for (const cap of [1e15, 9007199254740991, 1e17, 1e20, 1e308]) {
      const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: cap, messages: hi });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, String(cap)).toBe(402);
      expect(body.error.code).toBe('budget_exceeded');
      expect(body.error.message).toContain('This request could cost more than the monthly budget for team:platform allows in total');
      expect(body.error.message).toContain('could cost more than can be counted');
      expect(body.error.message).not.toMatch(/\$0\.0000/);
    }
    for (const body of [{ model: 'claude-sonnet-4-5', max_tokens: 1e20, messages: hi }]) expect((await post('/v1/messages', body)).status).toBe(402);
    expect(h.fake.requests).toHaveLength(0);
    expect((await counterOn(h.tollgate, team)).held).toBe(0n);
    expect(warnings).toEqual([]);
  });
});
