import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';

// An upstream that compresses its answers although the gateway asks for `accept-encoding:
// identity` (a misconfigured proxy or server in front of a model). The client gets the bytes
// as they came; the row still has the usage they carry (it was estimated from the request).

const MESSAGE = JSON.stringify({
  id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Hi' }],
  stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 37, cache_creation_input_tokens: 1500, cache_read_input_tokens: 9000, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 500 }, output_tokens: 77 },
});
const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
const STREAM = [
  sse('message_start', { message: { id: 'msg_02', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 4000, output_tokens: 1 } } }),
  sse('ping', {}),
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  sse('content_block_stop', { index: 0 }),
  sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 55 } }),
  sse('message_stop', {}),
].join('');
const chunk = (o: object) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-5', ...o })}\n\n`;
const CHAT = [
  chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }),
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
  chunk({ choices: [], usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020, prompt_tokens_details: { cached_tokens: 512 } } }),
  'data: [DONE]\n\n',
].join('');

let upstream: Server;
let h: Harness;
/** What the upstream wrote for the last request. */
let written: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const stream = req.url!.startsWith('/v1/chat') || req.headers['x-test-stream'] === '1';
      const coding = String(req.headers['x-test-coding']);
      const body = req.url!.startsWith('/v1/chat') ? CHAT : stream ? STREAM : MESSAGE;
      written = coding === 'br' ? brotliCompressSync(body) : gzipSync(body);
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-encoding': coding });
      // In small pieces, as a stream arrives.
      for (let i = 0; i < written.length; i += 40) res.write(written.subarray(i, i + 40));
      res.end();
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startHarness({ providers: () => defaultProviders(url) });
});
afterAll(async () => {
  await h.close();
  await new Promise((r) => upstream.close(r));
});

async function send(path: string, body: object, headers: Record<string, string>): Promise<Buffer> {
  const res = await request(`${h.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key.key}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-encoding']).toBe(headers['x-test-coding']);
  return Buffer.from(await res.body.arrayBuffer());
}

describe('an upstream that compresses its answers unasked', () => {
  it('meters a gzipped Anthropic message and passes its bytes on', async () => {
    await h.mark();
    const got = await send('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, { 'x-test-coding': 'gzip' });
    expect(got.equals(written)).toBe(true);
    const [row] = await h.rows();
    expect(row).toMatchObject({ usageSource: 'final', inputTokens: 10537, cacheReadTokens: 9000, cacheWriteTokens: 1500, cacheWrite1hTokens: 500, outputTokens: 77, outcome: 'ok' });
  });

  it('meters a brotli Anthropic stream', async () => {
    await h.mark();
    const got = await send('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-test-coding': 'br', 'x-test-stream': '1' });
    expect(got.equals(written)).toBe(true);
    const [row] = await h.rows();
    expect(row).toMatchObject({ usageSource: 'final', inputTokens: 4012, cacheReadTokens: 4000, outputTokens: 55, outcome: 'ok' });
  });

  it('meters a gzipped chat stream whose usage the gateway asked for, passing it on unrewritten', async () => {
    await h.mark();
    const got = await send('/v1/chat/completions', { model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-test-coding': 'gzip' });
    expect(got.equals(written)).toBe(true);
    const [row] = await h.rows();
    expect(row).toMatchObject({ usageSource: 'final', inputTokens: 900, cacheReadTokens: 512, outputTokens: 120, outcome: 'ok' });
  });
});
