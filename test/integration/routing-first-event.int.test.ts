import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { fallbackPair, recentFailures, sentTo as at, startQuickRetry, taggedDeployment as dep } from '../support/routing.js';

// A 200 stream whose first event is an error (Anthropic's overloaded_error, OpenAI's error chunk,
// a Responses error event, Gemini's error object) has sent the client nothing: another deployment takes it.

let h: Harness;

beforeAll(async () => {
  h = await startQuickRetry([
    fallbackPair('claude-sonnet-4-5', 'anthropic', 'ant-a', 'ant-b'),
    fallbackPair('gpt-5', 'openai', 'oa-a', 'oa-b'),
    fallbackPair('gemini-2.5-pro', 'gemini', 'gem-a', 'gem-b'),
    { model: 'claude-solo', deployments: [dep('anthropic', 'solo')] },
    { model: 'claude-again', deployments: [dep('anthropic', 'again')], retry: { per_deployment: 2, max_wait_ms: 1000 } },
    { model: 'claude-slow', deployments: [dep('anthropic', 'slow-a', { timeouts: { first_byte_ms: 200 } }), dep('anthropic', 'slow-b', { order: 1 })] },
    { model: 'claude-limits-only', deployments: [dep('anthropic', 'lim-a'), dep('anthropic', 'lim-b', { order: 1 })], retry: { on: ['rate_limit'] } },
  ]);
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

const anthropic = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
const openai = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
const hi = [{ role: 'user' as const, content: 'hi' }];

async function ledger(id: string) {
  const row = await h.row(id);
  const attempts = await h.tollgate.storage.ledger.attempts(id);
  return { row, attempts: attempts.map((a) => [a.deployment, a.status, a.outcome, a.errorType, a.delivered]) };
}

const failures = (deployment: string) => recentFailures(h.url, deployment);

/** A raw streamed Messages request: the exact bytes the client receives. */
async function rawMessages(model: string): Promise<{ status: number; id: string; body: Buffer; headers: Record<string, unknown> }> {
  const res = await request(`${h.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 64, stream: true, messages: hi }),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, id: res.headers['x-tollgate-request-id'] as string, body, headers: res.headers };
}

describe('an error event opening a 200 stream, before any byte reached the client', () => {
  it('Anthropic: an overloaded_error first is retried on the next deployment, counted against the first, and recorded', async () => {
    h.fake.script({ match: at('ant-a'), errorEventAfter: 0 }, { match: at('ant-b'), usage: { input: 20, output: 7 } });
    const before = await failures('ant-a');
    const { data: stream, response } = await anthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: hi }).withResponse();
    let text = '';
    for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    expect(text).toBeTruthy();
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(response.headers.get('x-tollgate-deployment')).toBe('ant-b');
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ status: 200, outcome: 'ok', attempts: 2, inputTokens: 20, outputTokens: 7 });
    expect(attempts).toEqual([
      ['ant-a', 200, 'upstream_error', 'overloaded_error', false],
      ['ant-b', 200, 'ok', null, true],
    ]);
    // It counts against the deployment as the 529 it stands for.
    expect(await failures('ant-a')).toBe(before + 1);
  });

  it('OpenAI chat: an error chunk first is retried on the next deployment', async () => {
    h.fake.script({ match: at('oa-a'), errorEventAfter: 0, error: { type: 'server_error', message: 'The server had an error' } }, { match: at('oa-b') });
    const { data: stream, response } = await openai().chat.completions.create({ model: 'gpt-5', stream: true, messages: hi }).withResponse();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBeTruthy();
    const { row, attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ outcome: 'ok', attempts: 2 });
    expect(attempts).toEqual([
      ['oa-a', 200, 'upstream_error', 'server_error', false],
      ['oa-b', 200, 'ok', null, true],
    ]);
  });

  it('OpenAI Responses: an error event first is retried on the next deployment', async () => {
    h.fake.script({ match: at('oa-a'), errorEventAfter: 0, error: { code: 'server_error' } }, { match: at('oa-b') });
    const { data: stream, response } = await openai().responses.create({ model: 'gpt-5', stream: true, input: 'hi' }).withResponse();
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types.at(-1)).toBe('response.completed');
    const { attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(attempts).toEqual([
      ['oa-a', 200, 'upstream_error', 'server_error', false],
      ['oa-b', 200, 'ok', null, true],
    ]);
  });

  it('Gemini: an error object in the first chunk is retried on the next deployment', async () => {
    h.fake.script({ match: at('gem-a'), errorEventAfter: 0 }, { match: at('gem-b') });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    let text = '';
    for await (const c of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'hi' })) text += c.text ?? '';
    expect(text).toBeTruthy();
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['gem-a', 'gem-b']);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'ok', attempts: 2 });
    expect((await ledger(row!.id)).attempts).toEqual([
      ['gem-a', 200, 'upstream_error', 'UNAVAILABLE', false],
      ['gem-b', 200, 'ok', null, true],
    ]);
  });

  it('passes the stream on exactly as it came when no other try is possible', async () => {
    h.fake.script({ match: at('solo'), errorEventAfter: 0 });
    const got = await rawMessages('claude-solo');
    expect(got.status).toBe(200);
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    const { row, attempts } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'overloaded_error', attempts: 1 });
    expect(attempts).toEqual([['solo', 200, 'upstream_error', 'overloaded_error', true]]);
  });

  it('sends a stream held back for a retry exactly as it came when the retry cannot wait that long', async () => {
    // A rate limit whose retry-after is past the route's max_wait_ms: the held stream is the answer.
    h.fake.script({ match: at('again'), errorEventAfter: 0, error: { type: 'rate_limit_error' }, headers: { 'retry-after': '30' } });
    const got = await rawMessages('claude-again');
    expect(got.status).toBe(200);
    expect(h.fake.requests).toHaveLength(1);
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(got.headers['retry-after']).toBe('30');
    const { row, attempts } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'rate_limit_error', attempts: 1 });
    expect(attempts).toEqual([['again', 200, 'upstream_error', 'rate_limit_error', true]]);
  });

  it('does not retry an error the retry triggers leave out, nor one that is the client’s own mistake', async () => {
    h.fake.script({ match: at('lim-a'), errorEventAfter: 0 }, { match: at('ant-a'), errorEventAfter: 0, error: { type: 'invalid_request_error', message: 'bad' } });
    const limited = await rawMessages('claude-limits-only');
    expect(limited.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    const mistake = await rawMessages('claude-sonnet-4-5');
    expect(mistake.body.equals(h.fake.requests[1]!.sent)).toBe(true);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['lim-a', 'ant-a']);
  });

  it('never retries once the output began: an error after the first content block is passed on', async () => {
    // message_start, ping, content_block_start, then the error (see routing-held-opening.int.test.ts for an error before the block).
    h.fake.script({ match: at('ant-a'), errorEventAfter: 3 });
    const got = await rawMessages('claude-sonnet-4-5');
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(got.body.toString()).toContain('event: content_block_start');
    expect(h.fake.requests).toHaveLength(1);
    const { row } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'overloaded_error', attempts: 1 });
  });

  it('passes a stream that opens with content on unchanged', async () => {
    h.fake.script({ match: at('ant-a') });
    const got = await rawMessages('claude-sonnet-4-5');
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect((await ledger(got.id)).row).toMatchObject({ outcome: 'ok', attempts: 1 });
  });
});

describe('how long the first event is held', () => {
  /** Sends `first`, then the rest of a stream two seconds later; resolves once the client has `first`, with whether the rest had been sent by then. */
  async function firstBytes(model: string, name: string, first: string): Promise<{ head: string; restSent: boolean }> {
    const rest = 'data: {"type":"message_stop"}\n\n';
    h.fake.script({ match: at(name), events: [first, rest], chunkDelayMs: 2000 });
    const res = await request(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 64, stream: true, messages: hi }),
    });
    let head = '';
    for await (const chunk of res.body) {
      head += (chunk as Buffer).toString();
      if (head.length < first.length) continue;
      const restSent = h.fake.requests[0]?.sent.includes('message_stop') ?? true;
      res.body.destroy();
      return { head, restSent };
    }
    throw new Error(`the body ended after ${head.length} bytes`);
  }

  it('at most first_byte_ms: a first event that does not end in time goes on as it came', async () => {
    const first = 'event: message_start\ndata: {"type":"message_start",';
    const got = await firstBytes('claude-slow', 'slow-a', first);
    expect(got).toEqual({ head: first, restSent: false });
  });

  it('at most 16 KiB: a longer first event goes on before it ends', async () => {
    const first = `event: message_start\ndata: {"type":"message_start","pad":"${'x'.repeat(17 * 1024)}`;
    const got = await firstBytes('claude-sonnet-4-5', 'ant-a', first);
    expect(got).toEqual({ head: first, restSent: false });
  });
});
