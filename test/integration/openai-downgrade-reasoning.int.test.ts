import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codexProvider, runCodexOk } from '../support/agent-run.js';
import { type Harness, testBudget } from '../support/harness.js';
import { startSpentBudget } from '../support/spent-budget.js';
import { openSocket, until } from '../support/websocket.js';

// gpt-4.1-nano does not reason: OpenAI refuses a reasoning effort for it with a 400 ("Unsupported
// parameter: 'reasoning.effort' is not supported with this model"), and Codex's ask for encrypted
// reasoning ("Encrypted content is not supported with this model."). A downgrade to it drops them;
// the fake upstream refuses them as OpenAI does (refuseUnsupported).
describe('a budget downgrade from a reasoning model to gpt-4.1-nano', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '1', downgrade: { at_percent: 50, to: 'gpt-4.1-nano' } });
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    // 60,000 output tokens of gpt-5.1-codex-max at $10/M: $0.60 of the day's $1.
    ({ h, client } = await startSpentBudget(budget, { usage: { input: 0, output: 60_000 } }, (c) => c.responses.create({ model: 'gpt-5.1-codex-max', input: 'hi', max_output_tokens: 60_000 }), 600_000_000_000n, { text: 'Done.', usage: { input: 300, output: 40 }, refuseUnsupported: true }));
  });
  afterAll(() => h.close());

  it('Codex CLI on gpt-5.6-sol: its turn reaches gpt-4.1-nano without its reasoning effort, low verbosity or encrypted reasoning, the rest as Codex sent it', async () => {
    const before = h.fake.requests.length;
    const { stdout } = await runCodexOk({ dir: h.dir, name: 'codex-home-reasoning', config: ['model = "gpt-5.6-sol"', 'model_reasoning_effort = "high"', 'model_verbosity = "low"', ...codexProvider(h.url)], key: h.key.key });
    expect(stdout).toContain('Done.');
    const sent = h.fake.requests.slice(before).map((r) => r.json as Record<string, unknown>);
    expect(sent.length).toBeGreaterThan(0);
    for (const body of sent) {
      // Codex asks gpt-5.6-sol for a low verbosity, which gpt-4.1-nano refuses (it takes medium only).
      expect(body.model).toBe('gpt-4.1-nano');
      expect(body).not.toHaveProperty('text.verbosity');
      expect(body).not.toHaveProperty('reasoning.effort');
      expect(body.stream).toBe(true);
      // Codex asks for it with store: false; it asks for nothing else, so include goes.
      expect(body.store).toBe(false);
      expect(body).not.toHaveProperty('include');
    }
  });

  it('the Responses WebSocket: a response.create moved to gpt-4.1-nano goes without encrypted reasoning, keeping what else it includes', async () => {
    const s = await openSocket(h.url, '/v1/responses', h.key.key);
    const before = h.fake.requests.length;
    s.ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.6-sol', input: 'hi', store: false, reasoning: { effort: 'high' }, include: ['reasoning.encrypted_content', 'web_search_call.action.sources'] }));
    await until(() => s.got.some((m) => /"type":"(response\.completed|error)"/.test(m)));
    s.ws.close();
    await s.closed;
    expect(s.got.some((m) => m.includes('"type":"response.completed"'))).toBe(true);
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ type: 'response.create', model: 'gpt-4.1-nano', input: 'hi', store: false, include: ['web_search_call.action.sources'] }]);
  });

  it('Chat Completions: reasoning_effort and a low verbosity are dropped, the rest as the SDK sent it', async () => {
    const before = h.fake.requests.length;
    const { response } = await client.chat.completions.create({ model: 'gpt-5-mini', reasoning_effort: 'low', verbosity: 'low', max_completion_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-5-mini->gpt-4.1-nano');
    expect(h.fake.requests.slice(before).map((r) => r.json)).toEqual([{ model: 'gpt-4.1-nano', max_completion_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }]);
  });
});
