import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { translatingProviders } from '../support/translating-providers.js';

// An upstream behind a server or proxy that compresses its answers although the gateway asks
// for `accept-encoding: identity`, serving clients of the other dialect: the answer is decoded
// before it is translated, and the client gets the translation uncompressed, headers to match.

const CHAT = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'qwen3-coder',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi from qwen' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020, prompt_tokens_details: { cached_tokens: 512 } },
});
const chunk = (o: object) => `data: ${JSON.stringify({ id: 'chatcmpl-2', object: 'chat.completion.chunk', created: 1, model: 'qwen3-coder', ...o })}\n\n`;
const CHAT_STREAM = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello ' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: { content: 'from qwen' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
  chunk({ choices: [], usage: { prompt_tokens: 700, completion_tokens: 30, total_tokens: 730 } }),
  'data: [DONE]\n\n',
].join('');
const MESSAGE = JSON.stringify({
  id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Hi from Claude' }],
  stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 37, cache_creation_input_tokens: 0, cache_read_input_tokens: 9000, output_tokens: 77 },
});
const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
const MESSAGE_STREAM = [
  sse('message_start', { message: { id: 'msg_02', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 4000, output_tokens: 1 } } }),
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello from Claude' } }),
  sse('content_block_stop', { index: 0 }),
  sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 55 } }),
  sse('message_stop', {}),
].join('');

const ENCODE: Record<string, (b: string) => Buffer> = {
  gzip: (b) => gzipSync(b),
  br: (b) => brotliCompressSync(b),
  deflate: (b) => deflateRawSync(b),
  // The coding it claims, but bytes that are not that coding.
  'gzip-corrupt': (b) => Buffer.from(b),
};

let upstream: Server;
let h: Harness;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const stream = (JSON.parse(raw) as { stream?: boolean }).stream === true;
      const chat = req.url!.startsWith('/v1/chat');
      const body = chat ? (stream ? CHAT_STREAM : CHAT) : stream ? MESSAGE_STREAM : MESSAGE;
      const coding = String(req.headers['x-test-coding']);
      const written = ENCODE[coding]!(body);
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-encoding': coding.replace('-corrupt', ''), 'content-length': written.length });
      // In small pieces, as a stream arrives.
      for (let i = 0; i < written.length; i += 40) res.write(written.subarray(i, i + 40));
      res.end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startHarness({ providers: () => translatingProviders(url) });
});
afterAll(async () => {
  await h.close();
  await new Promise((r) => upstream.close(r));
});
beforeEach(() => h.mark());

async function send(path: string, body: object, coding: string) {
  const res = await request(`${h.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key.key}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-test-coding': coding },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  // What the client reads is what the headers say: no coding, and a length (when given) that is the body's.
  expect(res.headers['content-encoding']).toBeUndefined();
  if (res.headers['content-length'] !== undefined) expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(text));
  return { status: res.statusCode, type: String(res.headers['content-type']), text };
}

const anthropicAsk = (stream: boolean) => ({ model: 'qwen3-coder', max_tokens: 100, stream, messages: [{ role: 'user', content: 'hi' }] });
const openaiAsk = (stream: boolean) => ({ model: 'claude-sonnet-4-5', max_tokens: 100, stream, messages: [{ role: 'user', content: 'hi' }] });

describe('a translated answer the upstream compressed unasked', () => {
  it('gives an Anthropic client a gzipped chat completion as a plain Message, metered', async () => {
    const r = await send('/v1/messages', anthropicAsk(false), 'gzip');
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/json');
    expect(JSON.parse(r.text)).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'Hi from qwen' }], usage: { input_tokens: 388, cache_read_input_tokens: 512, output_tokens: 120 } });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'anthropic.messages', provider: 'local-qwen', outcome: 'ok', usageSource: 'final', inputTokens: 900, cacheReadTokens: 512, outputTokens: 120 });
  });

  it('gives an Anthropic client a brotli chat stream as plain Anthropic events', async () => {
    const r = await send('/v1/messages', anthropicAsk(true), 'br');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/event-stream');
    expect(r.text).toContain('event: message_start');
    expect(r.text).toContain('"text":"Hello "');
    expect(r.text).toContain('"text":"from qwen"');
    expect(r.text).toContain('event: message_stop');
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 700, outputTokens: 30 });
  });

  it('gives an OpenAI client a deflated Anthropic message as a plain chat completion', async () => {
    const r = await send('/v1/chat/completions', openaiAsk(false), 'deflate');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'Hi from Claude' } }] });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.chat', provider: 'claude-for-openai', outcome: 'ok', inputTokens: 9037, cacheReadTokens: 9000, outputTokens: 77 });
  });

  it('gives an OpenAI client a gzipped Anthropic stream as plain chat chunks', async () => {
    const r = await send('/v1/chat/completions', openaiAsk(true), 'gzip');
    expect(r.status).toBe(200);
    expect(r.text).toContain('"content":"Hello from Claude"');
    expect(r.text).toContain('data: [DONE]');
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 4012, outputTokens: 55 });
  });

  it('answers a body that is not the coding it claims with a 502 in the client’s dialect, uncompressed', async () => {
    const r = await send('/v1/messages', anthropicAsk(false), 'gzip-corrupt');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const [row] = await h.rows();
    expect(row).toMatchObject({ status: 502, outcome: 'truncated' });
  });
});
