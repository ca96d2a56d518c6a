import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  const providers = (url: string): UpstreamProvider[] => [
    { name: 'local-qwen', dialect: 'openai', baseUrl: url, apiKey: undefined, models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic'] },
    ...defaultProviders(url),
  ];
  // Every Claude model asked for is served by the local model, through an org-wide rewrite.
  const rewrite = { id: 'org-local', name: null, scope: { kind: 'org' as const, value: '' }, allow: null, deny: [], rewrites: [{ from: 'claude-*', to: 'qwen3-coder' }], allowKeep: true, source: 'config' as const, createdAt: 0 };
  h = await startHarness({ providers, policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [rewrite] } } });
});
afterAll(() => h.close());

describe('a model policy rewrite onto a translating provider', () => {
  it('sends the rewritten, translated request to the local model and records it there', async () => {
    h.fake.script({ match: '/v1/chat/completions', text: 'Local answer.', usage: { input: 30, output: 4 } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const { data, response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 300, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Local answer.' }]);
    const up = h.fake.requests[0]!;
    expect(up.path).toBe('/v1/chat/completions');
    expect(up.json).toMatchObject({ model: 'qwen3-coder', max_tokens: 300, messages: [{ role: 'user', content: 'hi' }] });
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ api: 'anthropic.messages', provider: 'local-qwen', modelRequested: 'claude-sonnet-4-5', model: 'qwen3-coder', inputTokens: 30, outputTokens: 4, outcome: 'ok', tags: { translated: 'openai' } });
  });
});
