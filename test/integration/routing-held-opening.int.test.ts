import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { fallbackPair, recentFailures, sentTo as at, startQuickRetry, taggedDeployment as dep } from '../support/routing.js';

// A 200 stream that fails after its preamble (a Responses stream's response.created and
// response.in_progress, a Messages stream's message_start and ping) but before its output has
// sent the client nothing it needs: another deployment takes it.

let h: Harness;

beforeAll(async () => {
  h = await startQuickRetry([
    fallbackPair('claude-sonnet-4-5', 'anthropic', 'ant-a', 'ant-b'),
    fallbackPair('gpt-5', 'openai', 'oa-a', 'oa-b'),
    { model: 'gpt-solo', deployments: [dep('openai', 'oa-solo')] },
    { model: 'gpt-again', deployments: [dep('openai', 'oa-again')], retry: { per_deployment: 2, max_wait_ms: 1000 } },
    { model: 'gpt-slow', deployments: [dep('openai', 'slow-a', { timeouts: { first_byte_ms: 200 } }), dep('openai', 'slow-b', { order: 1 })] },
  ]);
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

/** A fetch that keeps a copy of every response body the SDK reads: the exact bytes the client got. */
function capture(): { fetch: typeof fetch; bytes: () => Promise<Buffer> } {
  const parts: Buffer[] = [];
  const copies: Promise<void>[] = [];
  return {
    async fetch(input, init) {
      const res = await fetch(input, init);
      if (res.body === null) return res;
      const [mine, theirs] = res.body.tee();
      copies.push((async () => void (await mine.pipeTo(new WritableStream({ write: (c: Uint8Array) => void parts.push(Buffer.from(c)) }))))());
      return new Response(theirs, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
    async bytes() {
      await Promise.all(copies);
      return Buffer.concat(parts);
    },
  };
}

const openai = (fetch?: typeof globalThis.fetch) => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0, fetch });
const anthropic = (fetch?: typeof globalThis.fetch) => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0, fetch });
const hi = [{ role: 'user' as const, content: 'hi' }];

async function ledger(id: string) {
  const row = await h.row(id);
  const attempts = await h.tollgate.storage.ledger.attempts(id);
  return { row, attempts: attempts.map((a) => [a.deployment, a.status, a.outcome, a.errorType, a.delivered, a.inputTokens]) };
}

/** The client got the second Anthropic deployment's stream alone; the ledger shows the first try as `first`, the second as served. */
async function expectSecondOnly(got: ReturnType<typeof capture>, first: unknown[]) {
  expect((await got.bytes()).equals(h.fake.requests[1]!.sent)).toBe(true);
  const [r] = await h.rows();
  const { row, attempts } = await ledger(r!.id);
  expect(row).toMatchObject({ status: 200, outcome: 'ok', attempts: 2, inputTokens: 20, outputTokens: 7 });
  expect(attempts).toEqual([first, ['ant-b', 200, 'ok', null, true, 20]]);
}

const failures = (deployment: string) => recentFailures(h.url, deployment);

const named = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const response = (id: string, status: string, extra: Record<string, unknown> = {}) => ({ id, object: 'response', created_at: 1795001200, status, error: null, model: 'gpt-5', output: [], usage: null, ...extra });
/** The start of a Responses stream that fails before its output (`code`), with the usage the failure reports. */
const failedResponse = (id: string, code: string) => [
  named('response.created', { sequence_number: 0, response: response(id, 'in_progress') }),
  named('response.in_progress', { sequence_number: 1, response: response(id, 'in_progress') }),
  named('response.failed', { sequence_number: 2, response: response(id, 'failed', { error: { code, message: 'An error occurred while processing your request.' }, usage: { input_tokens: 900, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 900 } }) }),
];

/** A raw streamed Responses request: the exact bytes the client receives. */
async function rawResponses(model: string): Promise<{ status: number; id: string; body: Buffer }> {
  const res = await request(`${h.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, input: 'hi' }),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, id: res.headers['x-tollgate-request-id'] as string, body };
}

describe('a stream failing after its preamble, before its output', () => {
  it('Responses (responses.stream): created, in_progress, then response.failed is retried; the client gets the second stream only', async () => {
    h.fake.script({ match: at('oa-a'), events: failedResponse('resp_first', 'server_error') }, { match: at('oa-b'), id: 'resp_second', usage: { input: 20, output: 7 } });
    const before = await failures('oa-a');
    const got = capture();
    const stream = openai(got.fetch).responses.stream({ model: 'gpt-5', input: 'hi' });
    const created: string[] = [];
    for await (const e of stream) if (e.type === 'response.created') created.push(e.response.id);
    const final = await stream.finalResponse();
    expect(final.id).toBe('resp_second');
    expect(final.output_text).toBeTruthy();
    // One response.created, the second deployment's: the first attempt's bytes never reached the client.
    expect(created).toEqual(['resp_second']);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['oa-a', 'oa-b']);
    expect((await got.bytes()).equals(h.fake.requests[1]!.sent)).toBe(true);
    const [r] = await h.rows();
    const { row, attempts } = await ledger(r!.id);
    // The failed try is recorded unbilled, as every try that fails before the client gets it: the 900 input tokens its response.failed reported are not counted.
    expect(row).toMatchObject({ status: 200, outcome: 'ok', attempts: 2, inputTokens: 20, outputTokens: 7, responseId: 'resp_second' });
    expect(attempts).toEqual([
      ['oa-a', 200, 'upstream_error', 'server_error', false, 0],
      ['oa-b', 200, 'ok', null, true, 20],
    ]);
    expect(await failures('oa-a')).toBe(before + 1);
  });

  it('Responses (responses.create with stream): created, then an error event is retried', async () => {
    h.fake.script({ match: at('oa-a'), errorEventAfter: 1, error: { code: 'server_error' } }, { match: at('oa-b'), id: 'resp_second' });
    const got = capture();
    const { data: stream, response } = await openai(got.fetch).responses.create({ model: 'gpt-5', stream: true, input: 'hi' }).withResponse();
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types[0]).toBe('response.created');
    expect(types.filter((t) => t === 'response.created')).toHaveLength(1);
    expect(types.at(-1)).toBe('response.completed');
    expect(h.fake.requests[0]!.sent.toString()).toMatch(/^event: response\.created\n[^]*event: error\n/);
    expect((await got.bytes()).equals(h.fake.requests[1]!.sent)).toBe(true);
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    const { attempts } = await ledger(response.headers.get('x-tollgate-request-id')!);
    expect(attempts).toEqual([
      ['oa-a', 200, 'upstream_error', 'server_error', false, 0],
      ['oa-b', 200, 'ok', null, true, expect.any(Number)],
    ]);
  });

  it('Anthropic (messages.stream): message_start, then overloaded_error is retried; the client gets the second stream only', async () => {
    h.fake.script({ match: at('ant-a'), errorEventAfter: 1, usage: { input: 500 } }, { match: at('ant-b'), id: 'msg_second', usage: { input: 20, output: 7 } });
    const before = await failures('ant-a');
    const got = capture();
    const stream = anthropic(got.fetch).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: hi });
    const final = await stream.finalMessage();
    expect(final.id).toBe('msg_second');
    expect(final.content[0]).toMatchObject({ type: 'text' });
    expect(h.fake.requests[0]!.sent.toString()).toMatch(/^event: message_start\n[^]*\n\nevent: error\n[^]*overloaded_error/);
    await expectSecondOnly(got, ['ant-a', 200, 'upstream_error', 'overloaded_error', false, 0]);
    expect(await failures('ant-a')).toBe(before + 1);
  });

  it('Anthropic: message_start and a ping, then overloaded_error is retried', async () => {
    h.fake.script({ match: at('ant-a'), errorEventAfter: 2 }, { match: at('ant-b') });
    const got = capture();
    const text = await anthropic(got.fetch).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: hi }).finalText();
    expect(text).toBeTruthy();
    expect(h.fake.requests[0]!.sent.toString()).toContain('event: ping\n');
    expect((await got.bytes()).equals(h.fake.requests[1]!.sent)).toBe(true);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['ant-a', 'ant-b']);
  });

  it('Anthropic: a stream cut after message_start, before its output, is retried; the client gets the second stream only', async () => {
    h.fake.script({ match: at('ant-a'), cutAfterEvents: 1, usage: { input: 500 } }, { match: at('ant-b'), id: 'msg_second', usage: { input: 20, output: 7 } });
    const before = await failures('ant-a');
    const got = capture();
    const final = await anthropic(got.fetch).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: hi }).finalMessage();
    expect(final.id).toBe('msg_second');
    // The cut try is recorded as a connection reset before the headers is: no usage, no cost.
    await expectSecondOnly(got, ['ant-a', 0, 'unreachable', 'upstream_unreachable', false, 0]);
    expect(await failures('ant-a')).toBe(before + 1);
  });

  it('Anthropic: a stream that ends cleanly after message_start and a ping, before its output, is retried as a cut one is', async () => {
    const start = named('message_start', { message: { id: 'msg_first', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 500, output_tokens: 1 } } });
    h.fake.script({ match: at('ant-a'), events: [start, 'event: ping\ndata: {"type": "ping"}\n\n'] }, { match: at('ant-b'), id: 'msg_second', usage: { input: 20, output: 7 } });
    const got = capture();
    const final = await anthropic(got.fetch).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: hi }).finalMessage();
    expect(final.id).toBe('msg_second');
    await expectSecondOnly(got, ['ant-a', 0, 'unreachable', 'upstream_unreachable', false, 0]);
  });

  it('OpenAI chat: a stream cut right after its headers is retried on the next deployment', async () => {
    h.fake.script({ match: at('oa-a'), cutAfterEvents: 0 }, { match: at('oa-b'), usage: { input: 10, output: 5 } });
    const stream = await openai().chat.completions.create({ model: 'gpt-5', messages: hi, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('This is a scripted reply from the fake upstream.');
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['oa-a', 'oa-b']);
  });
});

describe('a stream passed on as it came', () => {
  it('Responses: a failure after the first output item is not retried', async () => {
    h.fake.script({ match: at('oa-a'), errorEventAfter: 3 });
    const got = await rawResponses('gpt-5');
    expect(got.body.toString()).toContain('event: response.output_item.added');
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(h.fake.requests).toHaveLength(1);
    const { row } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'server_error', attempts: 1 });
  });

  it('Responses: a failure the request caused (image_too_large) is not retried, nor counted against the deployment', async () => {
    h.fake.script({ match: at('oa-a'), events: failedResponse('resp_first', 'image_too_large') });
    const before = await failures('oa-a');
    const got = await rawResponses('gpt-5');
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(h.fake.requests).toHaveLength(1);
    const { row } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'image_too_large', attempts: 1 });
    expect(await failures('oa-a')).toBe(before);
  });

  it('Responses: a failure no other try could replace is passed on, and billed as it reports', async () => {
    h.fake.script({ match: at('oa-solo'), events: failedResponse('resp_solo', 'server_error') });
    const got = await rawResponses('gpt-solo');
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    const { row } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'server_error', attempts: 1, inputTokens: 900 });
  });

  it('Responses: a held failure whose retry cannot wait that long is sent exactly as it came, and billed as it reports, as one passed on unheld is', async () => {
    // A rate limit whose retry-after is past the route's max_wait_ms: the held stream is the answer.
    h.fake.script({ match: at('oa-again'), events: failedResponse('resp_again', 'rate_limit_exceeded'), headers: { 'retry-after': '30' } });
    const got = await rawResponses('gpt-again');
    expect(got.status).toBe(200);
    expect(h.fake.requests).toHaveLength(1);
    expect(got.body.equals(h.fake.requests[0]!.sent)).toBe(true);
    const { row, attempts } = await ledger(got.id);
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'rate_limit_exceeded', attempts: 1, inputTokens: 900 });
    expect(row.costPicos).toBeGreaterThan(0n);
    expect(attempts).toEqual([['oa-again', 200, 'upstream_error', 'rate_limit_exceeded', true, 900]]);
  });
});

describe('how long a preamble is held', () => {
  /** Sends `head`, then the rest two seconds later; resolves once the client has `head`, with whether the rest had been sent by then. */
  async function headBytes(model: string, name: string, head: string, rest: string): Promise<{ got: string; restSent: boolean }> {
    h.fake.script({ match: at(name), events: [head, rest], chunkDelayMs: 2000 });
    const res = await request(`${h.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, input: 'hi' }),
    });
    let got = '';
    for await (const chunk of res.body) {
      got += (chunk as Buffer).toString();
      if (got.length < head.length) continue;
      const restSent = h.fake.requests[0]?.sent.includes(rest) ?? true;
      res.body.destroy();
      return { got, restSent };
    }
    throw new Error(`the body ended after ${got.length} bytes`);
  }
  const [created, inProgress, failed] = failedResponse('resp_slow', 'server_error');

  it('at most first_byte_ms: a preamble whose output does not begin in time goes on as it came', async () => {
    const got = await headBytes('gpt-slow', 'slow-a', created! + inProgress!, failed!);
    expect(got).toEqual({ got: created! + inProgress!, restSent: false });
  });

  it('never on a route without another try: the preamble goes on at once', async () => {
    const got = await headBytes('gpt-solo', 'oa-solo', created!, failed!);
    expect(got).toEqual({ got: created!, restSent: false });
  });
});
