import { type IncomingHttpHeaders, request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from './index.js';

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds since the request was sent, per body read. */
  arrivals: number[];
  /** The response ended early (cut, or aborted by us). */
  broken: boolean;
}

interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Give up after this long, as a client timeout would. */
  abortAfterMs?: number;
}

/** A plain node:http client that keeps every byte it receives. */
function raw(path: string, body: unknown, o: RawOptions = {}): Promise<RawResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const result: RawResult = { status: 0, headers: {}, body: Buffer.alloc(0), arrivals: [], broken: false };
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (broken: boolean) => {
      if (done) return;
      done = true;
      result.body = Buffer.concat(chunks);
      result.broken = broken;
      resolve(result);
    };
    const req = request(`${fake.url}${path}`, { method: o.method ?? 'POST', headers: o.headers }, (res) => {
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        result.arrivals.push(performance.now() - started);
      });
      res.on('end', () => finish(false));
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    if (o.abortAfterMs !== undefined) setTimeout(() => req.destroy(), o.abortAfterMs);
    req.on('error', () => finish(true));
    if (body === undefined) req.end();
    else req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const chat = { model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] };
const anthropicHeaders = { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

describe('recorded bytes', () => {
  it('sent equals what a raw client received, for SSE, JSON and error bodies', async () => {
    fake.script({ status: 429 });
    const results = [
      await raw('/v1/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } }),
      await raw('/v1/chat/completions', chat),
      await raw('/v1/messages', { model: 'claude-haiku-5-5', max_tokens: 5, messages: [], stream: true }, { headers: anthropicHeaders }),
      await raw('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { contents: [] }),
    ];
    const recs = await fake.waitForRequests(4);
    expect(results.map((r) => r.status)).toEqual([429, 200, 200, 200]);
    results.forEach((r, i) => {
      expect(r.body.length).toBeGreaterThan(0);
      expect(recs[i]!.sent.equals(r.body)).toBe(true);
      expect(recs[i]!.status).toBe(r.status);
    });
    expect(results[0]!.headers['retry-after']).toBe('1');
    expect(results[1]!.headers['content-length']).toBe(String(results[1]!.body.length));
    expect(results[2]!.headers['transfer-encoding']).toBe('chunked');
    expect(results[2]!.headers['content-length']).toBeUndefined();
  });

  it('writes the same bytes whether a stream goes out in one write or piece by piece', async () => {
    fake.script({}, { chunkDelayMs: 1 });
    const body = { model: 'claude-haiku-5-5', max_tokens: 5, messages: [], stream: true };
    const whole = await raw('/v1/messages', body, { headers: anthropicHeaders });
    const paced = await raw('/v1/messages', body, { headers: anthropicHeaders });
    expect(paced.arrivals.length).toBeGreaterThan(1);
    expect(paced.body.equals(whole.body)).toBe(true);
  });

  it('answers identical requests with identical bytes', async () => {
    const a = await raw('/v1/responses', { model: 'gpt-5', input: 'x', stream: true });
    const b = await raw('/v1/responses', { model: 'gpt-5', input: 'x', stream: true });
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});

describe('scenarios', () => {
  it('takes queued scenarios first in first out, skipping ones whose path does not match', async () => {
    fake.script({ match: '/v1/messages', text: 'for anthropic' }, { match: /completions$/, text: 'for chat' });
    const c = await raw('/v1/chat/completions', chat);
    expect(fake.pendingScenarios()).toBe(1);
    const m = await raw('/v1/messages', { model: 'claude-haiku-5-5', max_tokens: 5, messages: [] }, { headers: anthropicHeaders });
    expect(JSON.parse(c.body.toString())).toMatchObject({ choices: [{ message: { content: 'for chat' } }] });
    expect(JSON.parse(m.body.toString())).toMatchObject({ content: [{ type: 'text', text: 'for anthropic' }] });
    expect(fake.pendingScenarios()).toBe(0);
  });

  it('repeats a scenario `times` times, then falls back to the default', async () => {
    fake.setDefault({ model: 'gpt-5-mini-2025-08-07' });
    fake.script({ status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await raw('/v1/chat/completions', chat)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(fake.requests[2]!.sent.toString()).toContain('"model": "gpt-5-mini-2025-08-07"');
    fake.reset();
    expect((await raw('/v1/chat/completions', chat)).body.toString()).toContain('"model": "gpt-5-mini"');
  });

  it('overrides headers and the raw body', async () => {
    fake.script(
      { headers: { 'x-ratelimit-remaining-requests': '0', 'openai-version': null, 'x-extra': 'yes' } },
      { body: { ok: true }, status: 202 },
      { events: ['data: one\n\n', 'data: two\n\n'] },
    );
    const a = await raw('/v1/chat/completions', chat);
    expect(a.headers).toMatchObject({ 'x-ratelimit-remaining-requests': '0', 'x-extra': 'yes' });
    expect(a.headers['openai-version']).toBeUndefined();
    const b = await raw('/v1/chat/completions', chat);
    expect(b.status).toBe(202);
    expect(b.body.toString()).toBe('{"ok":true}');
    expect(b.headers['content-type']).toBe('application/json');
    const c = await raw('/v1/chat/completions', chat);
    expect(c.body.toString()).toBe('data: one\n\ndata: two\n\n');
  });

  it('answers an unknown path with 404 and a broken JSON body with 400, in the dialect', async () => {
    const a = await raw('/v1/nope', undefined, { method: 'GET' });
    const b = await raw('/v1/messages', '{not json', { headers: anthropicHeaders });
    expect(a.status).toBe(404);
    expect(JSON.parse(a.body.toString())).toMatchObject({ error: { message: 'Invalid URL (GET /v1/nope)', code: null } });
    expect(b.status).toBe(400);
    expect(JSON.parse(b.body.toString())).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('timing and faults', () => {
  it('delays the first byte and spaces the chunks', async () => {
    fake.script({ firstByteDelayMs: 60, chunkDelayMs: 25, chunks: 3 });
    const r = await raw('/v1/chat/completions', { ...chat, stream: true });
    expect(r.arrivals[0]).toBeGreaterThanOrEqual(55);
    expect(r.arrivals.length).toBeGreaterThanOrEqual(4);
    expect(r.arrivals.at(-1)! - r.arrivals[0]!).toBeGreaterThanOrEqual(100);
  });

  it('cuts the socket after n events; the client got exactly what was sent', async () => {
    fake.script({ cutAfterEvents: 3 });
    const r = await raw('/v1/chat/completions', { ...chat, stream: true });
    const [rec] = await fake.waitForRequests(1);
    expect(r.broken).toBe(true);
    expect(rec!.outcome).toBe('cut');
    expect(rec!.clientAborted).toBe(false);
    expect(r.body.equals(rec!.sent)).toBe(true);
    expect(r.body.toString().split('\n\n').filter((e) => e !== '')).toHaveLength(3);
  });

  it('cuts right after the headers with cutAfterEvents: 0', async () => {
    fake.script({ cutAfterEvents: 0 });
    const r = await raw('/v1/chat/completions', chat);
    expect(r.status).toBe(200);
    expect(r.broken).toBe(true);
    expect(r.body.length).toBe(0);
  });

  it('records a client abort on a stalled stream', async () => {
    fake.script({ stallAfterEvents: 2 });
    const r = await raw('/v1/chat/completions', { ...chat, stream: true }, { abortAfterMs: 150 });
    const [rec] = await fake.waitForRequests(1);
    expect(r.broken).toBe(true);
    expect(rec).toMatchObject({ outcome: 'client-aborted', clientAborted: true, status: 200 });
    expect(rec!.sent.equals(r.body)).toBe(true);
  });

  it('hangs without answering until the client gives up', async () => {
    fake.script({ hang: true });
    const r = await raw('/v1/messages', { model: 'm', max_tokens: 1, messages: [] }, { headers: anthropicHeaders, abortAfterMs: 100 });
    const [rec] = await fake.waitForRequests(1);
    expect(r.status).toBe(0);
    expect(rec).toMatchObject({ status: undefined, outcome: 'client-aborted', clientAborted: true });
    expect(rec!.sent.length).toBe(0);
  });

  it('ends a Responses stream with an error event after n events', async () => {
    fake.script({ errorEventAfter: 2, error: { code: 'rate_limit_exceeded', message: 'slow down' } });
    const r = await raw('/v1/responses', { model: 'gpt-5', input: 'x', stream: true });
    const events = r.body.toString().split('\n\n').filter((e) => e !== '');
    expect(events).toHaveLength(3);
    expect(events[2]).toBe('event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null,"sequence_number":2}');
  });

  it('times out waiting for requests that never come', async () => {
    await expect(fake.waitForRequests(1, { timeoutMs: 50 })).rejects.toThrow(/0 of 1/);
  });
});

describe('benchmark mode', () => {
  it('keeps no records when recording is off', async () => {
    const quiet = await startFakeUpstream({ record: false });
    try {
      const url = `${quiet.url}/v1/chat/completions`;
      const res = await fetch(url, { method: 'POST', body: JSON.stringify({ ...chat, stream: true }) });
      expect(await res.text()).toContain('[DONE]');
      expect(await quiet.waitForRequests(1)).toEqual([]);
      expect(quiet.requests).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});
