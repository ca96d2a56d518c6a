import { afterEach, describe, expect, it } from 'vitest';
import { usd } from '../../src/core/money.js';
import { createKey } from '../../src/identity/key-service.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { pngB64 } from '../../src/metering/media/fixtures.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';

/** The list prices the gateway ships with: the audit's case is about real Claude prices. */
const catalog = createPricer({ overrides: [] });
const price: PriceFn = (q) => {
  const a = catalog({ provider: q.provider, catalogProvider: q.catalogProvider, model: q.model, usage: q.usage, at: q.at });
  return { costPicos: a.costPicos, unpriced: a.unpriced, tooLarge: a.tooLarge };
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The audit's request: one 1.5 MB base64 PNG (a 2.0 MB body) and a question, to Claude Sonnet 4.5 with max_tokens 200. */
function imageRequest(key: string) {
  const data = pngB64(3000, 2000, 1_500_000); // a 1.5 MB image: 2.0 MB of base64
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data } }, { type: 'text', text: 'What is in this picture?' }] }] });
  return { bytes: Buffer.byteLength(body), send: () => fetch(`${h!.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body }) };
}

describe('budget estimates of images (a user audit: a 2 MB image body refused under $10 a day)', () => {
  it('admits a 2 MB image request under a $10 daily budget, holding cents for it, not dollars', async () => {
    const budget = testBudget({ scope: 'user:dave', window: 'day', limit_usd: 10 });
    h = await startHarness({ price, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const dave = await createKey(h.tollgate.storage.keys, { user: 'dave', team: null, project: null });
    h.fake.setDefault({ usage: { input: 1_650, output: 120 }, chunkDelayMs: 20 });
    const req = imageRequest(dave.key);
    expect(req.bytes).toBeGreaterThan(2_000_000);
    const res = await req.send();
    const text = await res.text();
    expect(res.status, text).toBe(200);
    // What was left once the request's estimate was held: the $10 less a few cents.
    const remaining = Number(res.headers.get('x-tollgate-budget-remaining')!.split(';')[0]);
    expect(remaining).toBeGreaterThan(9.95);
    await eventually(async () => {
      const c = await counterOn(h!.tollgate, budget);
      expect(c.held).toBe(0n);
      expect(c.spent).toBeGreaterThan(0n);
      expect(c.spent).toBeLessThan(usd('0.02'));
    });
  });

  it('when an image is what does not fit, says so rather than to lower the output cap', async () => {
    const budget = testBudget({ scope: 'user:dave', window: 'day', limit_usd: '0.005' });
    h = await startHarness({ price, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const dave = await createKey(h.tollgate.storage.keys, { user: 'dave', team: null, project: null });
    const res = await imageRequest(dave.key).send();
    const err = (await res.json()) as { error: { type: string; message: string } };
    expect(res.status).toBe(402);
    expect(err.error.type).toBe('budget_exceeded');
    expect(err.error.message).toMatch(/Its input is what is large: about [\d,]+ tokens, most of them \(1,700\) for its image or document\./);
    expect(err.error.message).toContain('To go on, send fewer or smaller images or documents');
    expect(err.error.message).not.toContain('maximum output tokens');
  });
});
