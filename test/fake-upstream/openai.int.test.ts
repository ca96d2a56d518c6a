import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from './index.js';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1`, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];
const usage = { input: 100, cacheRead: 1024, cacheWrite5m: 0, output: 50, reasoning: 20 };

function dataLines(sent: Buffer): string[] {
  return sent
    .toString()
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => e.replace(/^data: /, ''));
}

describe('chat completions', () => {
  it('answers a non-streamed request with the scripted usage and served model', async () => {
    fake.script({ usage, model: 'gpt-5-mini-2025-08-07', text: 'Sunny.' });
    const { data, response, request_id } = await client.chat.completions.create({ model: 'gpt-5-mini', messages }).withResponse();
    expect(data.model).toBe('gpt-5-mini-2025-08-07');
    expect(data.choices[0]!.message.content).toBe('Sunny.');
    expect(data.usage).toMatchObject({ prompt_tokens: 1124, completion_tokens: 50, total_tokens: 1174 });
    expect(data.usage?.prompt_tokens_details?.cached_tokens).toBe(1024);
    expect(data.usage?.completion_tokens_details?.reasoning_tokens).toBe(20);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe('0s');
    const [rec] = await fake.waitForRequests(1);
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/chat/completions', route: 'openai.chat', status: 200, outcome: 'complete' });
    expect(rec!.headers.authorization).toBe('Bearer sk-test');
    expect(rec!.json).toMatchObject({ model: 'gpt-5-mini' });
  });

  it('streams with include_usage: usage:null on every chunk, then a choices:[] usage chunk and [DONE]', async () => {
    fake.script({ usage, chunks: 3 });
    const stream = await client.chat.completions.create({ model: 'gpt-5-mini', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 1124, completion_tokens: 50 });
    expect(last.usage?.prompt_tokens_details?.cached_tokens).toBe(1024);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks.filter((c) => c.choices[0]?.delta.content !== undefined && c.choices[0].delta.content !== '')).toHaveLength(3);
    const [rec] = await fake.waitForRequests(1);
    const lines = dataLines(rec!.sent);
    expect(lines.at(-1)).toBe('[DONE]');
    expect(lines.slice(0, -2).every((l) => l.includes('"usage":null'))).toBe(true);
    expect(rec!.responseHeaders['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('streams without include_usage: no usage key anywhere', async () => {
    fake.script({ usage });
    const stream = await client.chat.completions.create({ model: 'gpt-5-mini', messages, stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    const [rec] = await fake.waitForRequests(1);
    expect(rec!.sent.toString()).not.toContain('usage');
    expect(rec!.sent.toString().endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('streams tool calls that the SDK reassembles', async () => {
    fake.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, {}] });
    const tools = [{ type: 'function' as const, function: { name: 'get_forecast', parameters: { type: 'object' } } }];
    const done = await client.chat.completions.stream({ model: 'gpt-5-mini', messages, tools }).finalChatCompletion();
    const calls = done.choices[0]!.message.tool_calls!;
    expect(done.choices[0]!.finish_reason).toBe('tool_calls');
    expect(calls.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []))).toEqual([
      ['get_weather', { city: 'Oslo' }],
      ['get_forecast', { city: 'Lyon' }],
    ]);
  });

  it('surfaces an in-stream error event as an APIError', async () => {
    fake.script({ errorEventAfter: 2, error: { message: 'boom', type: 'server_error' } });
    const stream = await client.chat.completions.create({ model: 'gpt-5-mini', messages, stream: true });
    const seen: unknown[] = [];
    const consume = async () => {
      for await (const c of stream) seen.push(c);
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(seen).toHaveLength(2);
  });
});

describe('responses', () => {
  const responsesUsage = { input: 400, cacheRead: 5120, cacheWrite1h: 1200, output: 352, reasoning: 256 };

  it('answers a non-streamed request with cached and reasoning tokens', async () => {
    fake.script({ usage: responsesUsage, text: 'Hello there.' });
    const r = await client.responses.create({ model: 'gpt-5.6-luna', input: 'hi' });
    expect(r.output_text).toBe('Hello there.');
    expect(r.status).toBe('completed');
    expect(r.usage).toMatchObject({ input_tokens: 6720, output_tokens: 352, total_tokens: 7072 });
    expect(r.usage?.input_tokens_details.cached_tokens).toBe(5120);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(256);
    expect(r.usage?.input_tokens_details).toMatchObject({ cache_write_tokens: 1200, cache_write_tokens_details: { ttl_30m_tokens: 0, ttl_12h_tokens: 1200 } });
  });

  it('streams named events with consecutive sequence numbers and usage on response.completed', async () => {
    fake.script({ usage: responsesUsage, model: 'gpt-5.6-luna-2026-10-14', toolCalls: 1, text: 'Checking.' });
    const stream = client.responses.stream({ model: 'gpt-5.6-luna', input: 'hi' });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.model).toBe('gpt-5.6-luna-2026-10-14');
    expect(final.output_text).toBe('Checking.');
    expect(final.usage?.input_tokens_details.cached_tokens).toBe(5120);
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(256);
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const [rec] = await fake.waitForRequests(1);
    const events = rec!.sent.toString().split('\n\n').filter((e) => e !== '');
    expect(events.every((e, i) => e.startsWith('event: ') && e.includes(`"sequence_number":${i}`))).toBe(true);
    expect(rec!.sent.toString()).not.toContain('[DONE]');
  });
});

describe('embeddings and models', () => {
  it('returns embeddings in both encodings and the input token count', async () => {
    fake.script({ usage: { input: 17 } }, {});
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8, encoding_format: 'float' });
    expect(decoded.usage).toEqual({ prompt_tokens: 17, total_tokens: 17 });
    expect(decoded.data).toHaveLength(2);
    expect(decoded.data[1]!.embedding).toHaveLength(8);
    expect(Array.from(decoded.data[1]!.embedding)).toEqual(floats.data[1]!.embedding);
    const recs = await fake.waitForRequests(2);
    expect(recs[0]!.json).toMatchObject({ encoding_format: 'base64' });
  });

  it('lists models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-5.6-sol');
  });
});

describe('errors', () => {
  it('maps a 429 to RateLimitError with retry-after and the OpenAI error body', async () => {
    fake.script({ status: 429 });
    const err: unknown = await client.chat.completions.create({ model: 'gpt-5-mini', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('retry-after')).toBe('1');
    expect(e.requestID).toMatch(/^req_/);
  });

  it('maps 401 and 500 to their typed errors', async () => {
    fake.script({ status: 401 }, { status: 500, error: { message: 'kaput' } });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client.embeddings.create({ model: 'm', input: 'x' })).rejects.toMatchObject({ status: 500, message: expect.stringContaining('kaput') as unknown });
  });
});
