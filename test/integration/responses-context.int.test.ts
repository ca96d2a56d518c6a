import { afterAll, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';
import { sharedLedgers, startReplicas } from '../support/replicas.js';

/** $20 per million input tokens, $60 per million output: 128,000 tokens of context alone are $2.56. */
/** Follow-ups of responses made elsewhere (`resp_elsewhere`) reach the budget's estimate, as every key may continue any response. */
const SHARED = { storedObjects: 'shared' } as const;

const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
const alice = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: '0.05' }), 'budget', 'config', 0);

const open: Harness[] = [];
afterAll(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** The ledger's reads of a response's context, counted. */
function counted(opener: () => Promise<Storage>): { open: () => Promise<Storage>; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    open: async () => {
      const s = await opener();
      const read = s.ledger.responseContext.bind(s.ledger);
      s.ledger.responseContext = (id, since, until) => (reads.push(id), read(id, since, until));
      return s;
    },
  };
}

async function respond(h: Harness, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', max_output_tokens: 100, ...body }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const engines = sharedLedgers('respctx');

describe.each(engines)('a Responses follow-up on two replicas sharing a %s ledger', (_, shared) => {
  it('is counted at its previous response’s own tokens, remembered or read from the ledger, and at the setting when unknown', async () => {
    const ledger = counted(shared());
    const [a, b] = await startReplicas(ledger.open, [alice], { input: 200, output: 50 }, { price, auth: SHARED });
    open.push(a, b);
    a.fake.script({ id: 'resp_first' });
    expect((await respond(a, { input: 'hello' })).status).toBe(200);
    // Not a follow-up: nothing read.
    expect(ledger.reads).toEqual([]);

    // 250 tokens of context, not 128,000: admitted, from what this replica recorded.
    a.fake.script({ id: 'resp_second' });
    expect((await respond(a, { input: 'go on', previous_response_id: 'resp_first' })).status).toBe(200);
    expect(ledger.reads).toEqual([]);
    // The other replica never saw it: it reads the row from the ledger.
    await a.tollgate.flush();
    expect((await respond(b, { input: 'and on', previous_response_id: 'resp_second' })).status).toBe(200);
    expect(ledger.reads).toEqual(['resp_second']);

    const unknown = await respond(a, { input: 'go on', previous_response_id: 'resp_elsewhere' });
    expect(unknown.status).toBe(402);
    const error = unknown.json.error as { message: string; tollgate: Record<string, unknown> };
    expect(error.message).toContain('most of them (128,000) allowed for the stored response or conversation it continues (`previous_response_id`, `conversation`), which is billed as input and whose size is not known (`policy.responses_context_tokens`)');
    expect(error.tollgate).toMatchObject({ request_referenced_tokens: 128_000, request_referenced_from: 'setting' });
    expect(ledger.reads).toEqual(['resp_second', 'resp_elsewhere']);
  });
});

describe('policy.responses_context_tokens', () => {
  it('is what a follow-up whose previous response is unknown counts, and a conversation always', async () => {
    const settings = { ...DEFAULT_POLICY_SETTINGS, responsesContextTokens: 1000 };
    const h = await startHarness({ price, auth: SHARED, policy: { settings, rules: { budgets: [alice], rateLimits: [], modelPolicies: [] } } });
    open.push(h);
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    expect((await respond(h, { input: 'go on', previous_response_id: 'resp_elsewhere' })).status).toBe(200);
    expect((await respond(h, { input: 'go on', conversation: 'conv_1' })).status).toBe(200);
  });
});

describe('a stray previous_response_id or previous_interaction_id', () => {
  it('continues nothing outside the APIs that define it: a chat completion, a Message or a generateContent carrying one is admitted on its own size', async () => {
    const h = await startHarness({ price, auth: SHARED, policy: { rules: { budgets: [alice], rateLimits: [], modelPolicies: [] } } });
    open.push(h);
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    const post = async (path: string, headers: Record<string, string>, body: Record<string, unknown>) => {
      const res = await fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    const stray = { previous_response_id: 'resp_elsewhere', previous_interaction_id: 'v1_elsewhere', conversation: 'conv_1' };
    const bearer = { authorization: `Bearer ${h.key.key}` };
    // 128,000 tokens of context would be $2.56 against alice's $0.05: counted, each would be refused.
    expect(await post('/v1/chat/completions', bearer, { model: 'gpt-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...stray })).toMatchObject({ status: 200 });
    expect(await post('/v1/messages', { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' }, { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...stray })).toMatchObject({ status: 200 });
    expect(await post('/v1beta/models/gemini-2.5-flash:generateContent', { 'x-goog-api-key': h.key.key }, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 100 }, ...stray })).toMatchObject({ status: 200 });
    // Where the API defines it, it is a follow-up as before.
    expect((await respond(h, { input: 'go on', previous_response_id: 'resp_elsewhere' })).status).toBe(402);
    expect((await post('/v1beta/interactions', { 'x-goog-api-key': h.key.key }, { model: 'gemini-2.5-flash', input: 'go on', previous_interaction_id: 'v1_elsewhere', generation_config: { max_output_tokens: 100 } })).status).toBe(402);
  });
});

describe('a Responses follow-up while Postgres hangs', () => {
  it('is not held up: the previous response is counted as remembered, or at the setting once the read takes too long', async () => {
    const proxy = new PgProxy();
    await proxy.listen();
    const schema = `tg_respctx_hang_${process.pid}_${Date.now() % 100000}`;
    // Long waits: any answer in time comes from the read not being waited for.
    const storage = () => openPostgres({ url: proxy.url, schema, maxConnections: 4, connectTimeoutMs: 60_000, queryTimeoutMs: 60_000, reportTimeoutMs: 60_000 });
    const h = await startHarness({ price, auth: SHARED, storage, policy: { rules: { budgets: [alice], rateLimits: [], modelPolicies: [] } } });
    try {
      h.fake.setDefault({ usage: { input: 200, output: 50 } });
      h.fake.script({ id: 'resp_first' });
      expect((await respond(h, { input: 'hello' })).status).toBe(200);
      proxy.hang();
      expect((await respond(h, { input: 'go on', previous_response_id: 'resp_first' })).status).toBe(200);
      const started = Date.now();
      const unknown = await respond(h, { input: 'go on', previous_response_id: 'resp_elsewhere' });
      expect(unknown.status).toBe(402);
      expect((unknown.json.error as { tollgate: Record<string, unknown> }).tollgate).toMatchObject({ request_referenced_tokens: 128_000, request_referenced_from: 'setting' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      proxy.resume();
      await h.close();
      await proxy.cut();
      await dropSchemas([schema]);
    }
  });
});
