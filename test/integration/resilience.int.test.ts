import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fake-upstream/index.js';
import { lastTurnHash } from '../../src/metering/last-turn.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

let h: Harness;

/** Deployments of one provider, told apart at the fake by the `x-dep` header each one sends. */
const dep = (provider: string, name: string, extra: Record<string, unknown> = {}) => ({ provider, name, headers: { 'x-dep': name }, ...extra });
const at = (name: string) => (r: RecordedRequest) => r.headers['x-dep'] === name;

beforeAll(async () => {
  h = await startHarness({
    // Longer than a test may take: a try that waits for it has failed.
    idleTimeoutMs: 60_000,
    routing: (url) =>
      routingFrom(
        {
          routing: { retry: { backoff_ms: 10, max_backoff_ms: 50 }, affinity: { enabled: false } },
          routes: [
            { model: 'solo-*', deployments: [dep('openai', 'solo')], retry: { attempts: 2 } },
            { model: 'gpt-5', deployments: [dep('openai', 'gpt-a'), dep('openai', 'gpt-b')], fallbacks: ['gpt-5-mini'], retry: { attempts: 4, per_deployment: 1 } },
            { model: 'gpt-5-mini', deployments: [dep('openai', 'mini')] },
            { model: 'claude-sonnet-4-5', deployments: [dep('anthropic', 'sonnet')], fallbacks: ['claude-haiku-4-5'], retry: { per_deployment: 1 } },
            { model: 'claude-haiku-4-5', deployments: [dep('anthropic', 'haiku')] },
            { model: 'timed', deployments: [dep('openai', 'slow', { timeouts: { first_byte_ms: 200 } }), dep('openai', 'fast', { order: 1 })], retry: { per_deployment: 1 } },
            { model: 'flaky', deployments: [dep('openai', 'fl-a'), dep('openai', 'fl-b', { order: 1 }), dep('openai', 'fl-c', { order: 2 })], retry: { per_deployment: 1 } },
            { model: 'claude-limited', deployments: [dep('anthropic', 'cl', { rpm: 1 })], queue: { max_wait_ms: 100 } },
            { model: 'limited', deployments: [dep('openai', 'lim-a', { rpm: 1 }), dep('openai', 'lim-b', { rpm: 1 })], queue: { max_depth: 1, max_wait_ms: 300 } },
            { model: 'patient', deployments: [dep('openai', 'patient')], retry: { max_wait_ms: 5000 }, queue: { max_wait_ms: 200 } },
            { model: 'hasty', deployments: [dep('openai', 'hasty')], retry: { max_wait_ms: 300 } },
            { model: 'accounts', deployments: [dep('openai', 'acct-a'), dep('openai', 'acct-b', { order: 1 })], retry: { per_deployment: 1 } },
            { model: 'quota', deployments: [dep('openai', 'quota-a'), dep('openai', 'quota-b', { order: 1 })], retry: { per_deployment: 1 } },
            { model: 'abandoned', deployments: [dep('openai', 'ab')], queue: { max_wait_ms: 2500 } },
            { model: 'one-queued', deployments: [dep('openai', 'oq')], queue: { max_depth: 1, max_wait_ms: 5000 } },
            { model: 'gemini-2.5-pro', deployments: [dep('gemini', 'gem')], retry: { max_wait_ms: 300 }, queue: { max_wait_ms: 100 } },
            { model: 'gemini-2.5-flash', deployments: [dep('gemini', 'gem-last')], retry: { attempts: 1 }, queue: { max_wait_ms: 100 } },
          ],
        },
        defaultProviders(url),
      ),
  });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

const openai = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
const hi = [{ role: 'user' as const, content: 'hi' }];

async function ledger(id: string) {
  const row = await h.row(id);
  const attempts = await h.tollgate.storage.ledger.attempts(id);
  return { row, attempts };
}

describe('retries and fallbacks before the first byte', () => {
  it('retries after a 429 with retry-after, on the same deployment when it is the only one', async () => {
    h.fake.script({ match: at('solo'), status: 429, headers: { 'retry-after': '1' } }, { match: at('solo'), usage: { input: 10, output: 5 } });
    const { data, response } = await openai().chat.completions.create({ model: 'solo-1', messages: hi }).withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(response.headers.get('x-tollgate-deployment')).toBe('solo');
    expect(h.fake.requests).toHaveLength(2);
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ status: 200, outcome: 'ok', attempts: 2, inputTokens: 10, outputTokens: 5, costPicos: 60n });
    // A routed row carries its last turn's hash, as a plain one does (the agent-loop detector reads it).
    expect(row.lastTurnHash).toBe(lastTurnHash({ messages: hi }));
    expect(attempts.map((a) => [a.n, a.deployment, a.status, a.outcome, a.delivered, a.costPicos])).toEqual([
      [1, 'solo', 429, 'upstream_error', false, 0n],
      [2, 'solo', 200, 'ok', true, 60n],
    ]);
  });

  it('falls back to the next model when every deployment of the first answers 429', async () => {
    h.fake.script({ match: at('gpt-a'), status: 429 }, { match: at('gpt-b'), status: 429 }, { match: at('mini'), usage: { input: 20, output: 2 } });
    const { data, response } = await openai().chat.completions.create({ model: 'gpt-5', messages: hi }).withResponse();
    expect(data.model).toBe('gpt-5-mini');
    expect(response.headers.get('x-tollgate-deployment')).toBe('mini');
    expect(h.fake.requests.map((r) => (r.json as { model: string }).model)).toEqual(['gpt-5', 'gpt-5', 'gpt-5-mini']);
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ modelRequested: 'gpt-5', model: 'gpt-5-mini', attempts: 3, outcome: 'ok', costPicos: 40n });
    expect(attempts.map((a) => [a.deployment, a.model, a.status, a.errorType])).toEqual([
      [expect.stringMatching(/^gpt-[ab]$/), 'gpt-5', 429, 'rate_limit_exceeded'],
      [expect.stringMatching(/^gpt-[ab]$/), 'gpt-5', 429, 'rate_limit_exceeded'],
      ['mini', 'gpt-5-mini', 200, null],
    ]);
  });

  it('falls back on Anthropic 529 overloaded, through the Anthropic SDK', async () => {
    h.fake.script({ match: at('sonnet'), status: 529 }, { match: at('haiku'), usage: { input: 30, output: 3 } });
    const { data, response } = await anthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: hi }).withResponse();
    expect(data.model).toBe('claude-haiku-4-5');
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ api: 'anthropic.messages', model: 'claude-haiku-4-5', attempts: 2, outcome: 'ok' });
    expect(attempts.map((a) => [a.deployment, a.status, a.errorType, a.delivered])).toEqual([
      ['sonnet', 529, 'overloaded_error', false],
      ['haiku', 200, null, true],
    ]);
  });

  it('falls back on a 500, streamed, and the client sees only the fallback stream', async () => {
    h.fake.script({ match: at('sonnet'), status: 500 }, { match: at('haiku'), usage: { input: 30, output: 7 } });
    const stream = anthropic().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: hi });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(7);
    const [row] = await h.rows();
    expect(row).toMatchObject({ stream: true, attempts: 2, outcome: 'ok', outputTokens: 7 });
    expect((await h.tollgate.storage.ledger.attempts(row!.id)).map((a) => a.status)).toEqual([500, 200]);
  });

  it('prices a fallback whose stream is cut before naming its model at the fallback model', async () => {
    // The fallback must be the last try (a cut before its output is retried while another is left): gpt-a and gpt-b
    // first, once out of the rest an earlier test's 429s put them in.
    await eventually(() => expect(h.tollgate.router!.status().flatMap((r) => r.deployments).filter((d) => /^gpt-[ab]$/.test(d.deployment) && d.rate_limit.blocked_until === null)).toHaveLength(2));
    h.fake.script({ match: at('gpt-a'), status: 500 }, { match: at('gpt-b'), status: 500 }, { match: at('mini'), cutAfterEvents: 0 });
    // The client sees the cut as an error (of the request or of its body).
    await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: hi, stream: true }) })
      .then((r) => r.body.text())
      .catch(() => '');
    const [row] = await eventually(async () => {
      const rows = await h.rows();
      expect(rows).toHaveLength(1);
      return rows;
    });
    // Without the fix the row said (and was priced at) gpt-5, while its attempt said gpt-5-mini.
    expect(row).toMatchObject({ modelRequested: 'gpt-5', model: 'gpt-5-mini', outcome: 'truncated', usageSource: 'estimated' });
    const attempts = await h.tollgate.storage.ledger.attempts(row!.id);
    expect(attempts.at(-1)).toMatchObject({ deployment: 'mini', model: 'gpt-5-mini', delivered: true, costPicos: row!.costPicos });
  });

  it('moves on after a connection reset', async () => {
    h.fake.script({ match: at('fl-a'), reset: true }, { match: at('fl-b'), reset: true }, { match: at('fl-c') });
    const { response } = await openai().chat.completions.create({ model: 'flaky', messages: hi }).withResponse();
    expect(response.headers.get('x-tollgate-deployment')).toBe('fl-c');
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ attempts: 3, outcome: 'ok', status: 200 });
    expect(attempts.map((a) => [a.status, a.outcome, a.errorType])).toEqual([
      [0, 'unreachable', 'upstream_unreachable'],
      [0, 'unreachable', 'upstream_unreachable'],
      [200, 'ok', null],
    ]);
  });

  it('gives up on a deployment that hangs past its first-byte timeout, and uses the next', async () => {
    h.fake.script({ match: at('slow'), hang: true }, { match: at('fast'), usage: { input: 5, output: 5 } });
    const { response } = await openai().chat.completions.create({ model: 'timed', messages: hi }).withResponse();
    expect(response.headers.get('x-tollgate-deployment')).toBe('fast');
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ attempts: 2, outcome: 'ok' });
    expect(attempts.map((a) => [a.deployment, a.outcome, a.errorType])).toEqual([
      ['slow', 'timeout', 'upstream_timeout'],
      ['fast', 'ok', null],
    ]);
  });

  it('gives up on an error answer whose body stalls past the first-byte timeout, and uses the next', async () => {
    // Without the fix the held 503 waited for its body up to server.idle_timeout_ms, and the client with it.
    h.fake.script({ match: at('slow'), status: 503, events: ['{"error":'], stallAfterEvents: 1 }, { match: at('fast'), usage: { input: 5, output: 5 } });
    const { response } = await openai().chat.completions.create({ model: 'timed', messages: hi }).withResponse();
    expect(response.headers.get('x-tollgate-deployment')).toBe('fast');
    const { attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(attempts.map((a) => [a.deployment, a.status, a.outcome, a.delivered])).toEqual([
      ['slow', 503, 'upstream_error', false],
      ['fast', 200, 'ok', true],
    ]);
  });

  it('never retries once bytes reached the client: a cut stream is passed on, partial usage billed', async () => {
    h.fake.script({ match: at('sonnet'), cutAfterEvents: 3, usage: { input: 100, output: 900 } });
    const stream = anthropic().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: hi });
    await expect(stream.finalMessage()).rejects.toThrow();
    const [row] = await eventually(async () => {
      const rows = await h.rows();
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(h.fake.requests).toHaveLength(1);
    expect(row).toMatchObject({ outcome: 'truncated', usageSource: 'partial', inputTokens: 100, attempts: 1 });
    expect(row!.costPicos).toBeGreaterThan(0n);
    const attempts = await h.tollgate.storage.ledger.attempts(row!.id);
    expect(attempts).toEqual([expect.objectContaining({ deployment: 'sonnet', status: 200, outcome: 'truncated', delivered: true, inputTokens: 100, costPicos: row!.costPicos })]);
  });

  it("bounds the wait for a 429's retry-after by retry.max_wait_ms, not by the queue's", async () => {
    // Checked without the fix: the 429's wait counted as a wait for capacity, so 'patient' gave the 429 back
    // (1 s is over its queue's 200 ms) and 'hasty' waited the whole 2 s (over its max_wait_ms of 300).
    h.fake.script({ match: at('patient'), status: 429, headers: { 'retry-after': '1' } }, { match: at('hasty'), status: 429, headers: { 'retry-after': '2' } });
    const patient = await openai().chat.completions.create({ model: 'patient', messages: hi }).withResponse();
    expect(patient.response.headers.get('x-tollgate-attempts')).toBe('2');
    const started = performance.now();
    const hasty = await openai()
      .chat.completions.create({ model: 'hasty', messages: hi })
      .then(() => undefined, (e: unknown) => e);
    expect(hasty).toBeInstanceOf(OpenAI.RateLimitError);
    expect((hasty as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('x-tollgate-attempts')).toBe('1');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('rests a Gemini deployment for the retryDelay its 429 body asks for, as it sends no retry-after', async () => {
    // Checked without the fix: the 429 rested it for the backoff alone (50 ms here), so the retry went
    // to it again at once and the second scripted answer, a 200, reached the client.
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' };
    h.fake.script({ match: at('gem'), status: 429, headers: { 'retry-after': null }, body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [retryInfo] } } }, { match: at('gem') });
    const generate = () => request(`${h.url}/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': h.key.key, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
    const first = await generate();
    expect(JSON.parse(await first.body.text())).toMatchObject({ error: { status: 'RESOURCE_EXHAUSTED' } });
    expect(first.statusCode).toBe(429);
    expect(first.headers['x-tollgate-attempts']).toBe('1');
    const second = await generate();
    expect(JSON.parse(await second.body.text())).toMatchObject({ error: { status: 'RESOURCE_EXHAUSTED', message: expect.stringContaining('rate limit') } });
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(20);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('rests a Gemini deployment for the retryDelay of a 429 that was the last try of its request, passed on as it came', async () => {
    // Checked without the fix: a 429 sent on to the client rested it for the backoff alone, and the next request went to it.
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' };
    h.fake.script({ match: at('gem-last'), status: 429, headers: { 'retry-after': null }, body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [retryInfo] } } });
    const generate = () => request(`${h.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': h.key.key, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
    const first = await generate();
    expect(JSON.parse(await first.body.text())).toMatchObject({ error: { message: 'Quota exceeded' } });
    const second = await generate();
    expect(JSON.parse(await second.body.text())).toMatchObject({ error: { status: 'RESOURCE_EXHAUSTED', message: expect.stringContaining('rate limit') } });
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(20);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('rests a deployment whose account is out of credit, whatever its headers say, and serves from the others', async () => {
    // Checked without the fix: the 429's retry-after: 0 rested it for nothing, and the next request went to it again.
    const noQuota = { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
    h.fake.script({ match: at('quota-a'), status: 429, headers: { 'retry-after': '0' }, body: noQuota });
    expect((await openai().chat.completions.create({ model: 'quota', messages: hi })).choices).toHaveLength(1);
    expect((await openai().chat.completions.create({ model: 'quota', messages: hi })).choices).toHaveLength(1);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['quota-a', 'quota-b', 'quota-b']);
  });

  it('takes a request whose deployment key is refused (a revoked account) to the next deployment; a client key refused goes back to the client', async () => {
    // Checked without the fix: the 401 to the gateway's own key for acct-a went to the client as the answer.
    const revoked = { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
    h.fake.script({ match: at('acct-a'), status: 401, body: revoked, times: 2 });
    const { data, response } = await openai().chat.completions.create({ model: 'accounts', messages: hi }).withResponse();
    expect(data.choices).toHaveLength(1);
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['acct-a', 'acct-b']);
    const { attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(attempts.map((a) => a.status)).toEqual([401, 200]);
    // With the client's own provider key, the provider's 401 is the client's answer: nothing else is tried with it.
    const own = new OpenAI({ apiKey: 'sk-clients-own-key', baseURL: `${h.url}/v1`, maxRetries: 0 });
    const refused = await own.chat.completions.create({ model: 'accounts', messages: hi }).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['acct-a', 'acct-b', 'acct-a']);
  });

  it('returns the last upstream error unchanged when no attempt is left', async () => {
    h.fake.script({ match: at('solo'), status: 503, times: 2 });
    const r = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'solo-2', messages: hi }) });
    const text = await r.body.text();
    expect(r.statusCode).toBe(503);
    expect(Buffer.from(text).equals(h.fake.requests[1]!.sent)).toBe(true);
    expect(r.headers['x-tollgate-attempts']).toBe('2');
    const { row, attempts } = await ledger(String(r.headers['x-tollgate-request-id']));
    expect(row).toMatchObject({ status: 503, outcome: 'upstream_error', attempts: 2 });
    expect(attempts.map((a) => [a.status, a.delivered])).toEqual([
      [503, false],
      [503, true],
    ]);
  });
});

describe('every deployment at its limit', () => {
  it('waits in a bounded queue, then answers a clear 429 in the client dialect', async () => {
    // Each deployment allows one request a minute: two go through, the rest find no room.
    const ok = await Promise.all([0, 1].map(() => openai().chat.completions.create({ model: 'limited', messages: hi }).withResponse()));
    expect(new Set(ok.map((r) => r.response.headers.get('x-tollgate-deployment')))).toEqual(new Set(['lim-a', 'lim-b']));
    const refused = await Promise.all([0, 1].map(() => openai().chat.completions.create({ model: 'limited', messages: hi }).catch((e: unknown) => e)));
    for (const e of refused) {
      expect(e).toBeInstanceOf(OpenAI.RateLimitError);
      const err = e as InstanceType<typeof OpenAI.RateLimitError>;
      expect(err.code).toBe('capacity_exhausted');
      expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    }
    const rows = await h.rows();
    const failed = rows.filter((r) => r.status === 429);
    expect(failed).toHaveLength(2);
    for (const r of failed) {
      expect(r).toMatchObject({ errorType: 'capacity_exhausted', attempts: 0, costPicos: 0n });
      expect(await h.tollgate.storage.ledger.attempts(r.id)).toEqual([]);
    }
    expect(h.fake.requests).toHaveLength(2);
  });

  it('renders the refusal in the Anthropic dialect too', async () => {
    await anthropic().messages.create({ model: 'claude-limited', max_tokens: 10, messages: hi });
    const err = await anthropic()
      .messages.create({ model: 'claude-limited', max_tokens: 10, messages: hi })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('claude-limited') } });
    expect(h.fake.requests).toHaveLength(1);
    const rows = await h.rows();
    expect(rows.map((r) => [r.status, r.errorType])).toEqual([
      [200, null],
      [429, 'capacity_exhausted'],
    ]);
  });

  it('frees a queue place when the wait ends, not when the request that waited ends', async () => {
    // One request a second. The second request waits for the next window, then streams for a second;
    // a third arriving meanwhile waits in the queue (of one) it has to itself, and is served.
    h.fake.setRateLimit({ requests: 1, windowMs: 1000 });
    try {
      const post = (stream: boolean) =>
        request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'one-queued', messages: hi, stream }) }).then(async (r) => [r.statusCode, await r.body.text()] as const);
      expect((await post(false))[0]).toBe(200);
      h.fake.setDefault({ chunks: 10, chunkDelayMs: 100 });
      const second = post(true);
      await eventually(() => expect(h.fake.requests).toHaveLength(2));
      await new Promise((ok) => setTimeout(ok, 100));
      expect(h.fake.requests[1]!.outcome).toBe('pending');
      // Checked without the fix: the second request kept its place until its stream ended, and this one got capacity_exhausted at once.
      const third = await post(false);
      expect(third[0]).toBe(200);
      expect((await second)[0]).toBe(200);
    } finally {
      h.fake.setRateLimit(undefined);
    }
  });

  it('gives back the rate-limit room of a request whose client left before the answer', async () => {
    // Two requests per half second. Two clients give up on a hanging upstream; had their requests stayed
    // counted in flight (checked without the fix), every later window would look full and this would get capacity_exhausted.
    h.fake.setRateLimit({ requests: 2, windowMs: 500 });
    try {
      await openai().chat.completions.create({ model: 'abandoned', messages: hi });
      h.fake.script({ match: at('ab'), hang: true, times: 2 });
      await Promise.all(
        [0, 1].map(() =>
          openai()
            .chat.completions.create({ model: 'abandoned', messages: hi }, { signal: AbortSignal.timeout(150) })
            .catch(() => undefined),
        ),
      );
      await new Promise((ok) => setTimeout(ok, 700));
      const { response } = await openai().chat.completions.create({ model: 'abandoned', messages: hi }).withResponse();
      expect(response.status).toBe(200);
      const status = h.tollgate.router!.status().flatMap((r) => r.deployments).find((d) => d.deployment === 'ab');
      expect(status?.in_flight).toBe(0);
    } finally {
      h.fake.setRateLimit(undefined);
    }
  });
});
