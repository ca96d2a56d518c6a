import { afterEach, describe, expect, it } from 'vitest';
import { modelPolicyInput, parseRule, toModelPolicy } from '../../src/policy/rule-input.js';
import { type Harness, startHarness } from '../support/harness.js';

// Anthropic's server-side fallback (beta server-side-fallback-2026-07-01, the SDK's BetaFallbackParam)
// lets the API serve a model of `fallbacks[].model` in place of the one asked for.
describe('a Messages request whose server-side fallbacks name a model the model policy denies', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const send = (x: Harness, fallbacks: unknown[]) =>
    fetch(`${x.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': x.key.key, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'server-side-fallback-2026-07-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], fallbacks }),
    });

  it('is refused (403 model_not_allowed) before anything goes upstream, and one naming allowed models is sent', async () => {
    const deny = toModelPolicy(parseRule(modelPolicyInput, { scope: 'user:alice', deny: ['*opus*'], rewrite: [{ from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5' }] }), 'config', 0);
    h = await startHarness({ policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [deny] } } });
    const refused = await send(h, [{ model: 'claude-opus-4-8' }]);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/claude-opus-4-8 is not allowed for user:alice/);
    // A fallback a rewrite would move is not rewritten by the API: refused, naming the model to ask for.
    const rewritten = await send(h, [{ model: 'claude-sonnet-4-5' }]);
    expect(rewritten.status).toBe(403);
    expect(((await rewritten.json()) as { error: { message: string } }).error.message).toMatch(/serves claude-haiku-4-5 instead/);
    expect(h.fake.requests.filter((q) => q.path === '/v1/messages')).toHaveLength(0);
    const ok = await send(h, [{ model: 'claude-haiku-4-5-20251001' }, { nonsense: true }, 'x']);
    expect(ok.status).toBe(200);
    expect(h.fake.requests.filter((q) => q.path === '/v1/messages')).toHaveLength(1);
  });
});
