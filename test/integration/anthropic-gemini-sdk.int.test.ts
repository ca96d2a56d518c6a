import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { describe, expect, it, vi } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness();

describe('Anthropic SDK through Tollgate', () => {
  const client = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
  const usage = { input: 12, cacheRead: 3000, cacheWrite5m: 1000, cacheWrite1h: 2000, output: 150, reasoning: 40 };

  it('messages, non-streaming: exact bytes, 5m and 1h cache writes in the ledger', async () => {
    h.fake.script({ usage, model: 'claude-sonnet-4-5-20250929' });
    const { data, response } = await client()
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } })
      .withResponse();
    expect(data.usage.cache_read_input_tokens).toBe(3000);
    const up = h.fake.requests[0]!;
    // The SDK sends Bearer; the gateway sends the provider key where an API key belongs.
    expect(up.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(up.headers.authorization).toBeUndefined();
    expect(up.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    expect(up.headers['anthropic-version']).toBeDefined();
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({
      api: 'anthropic.messages', model: 'claude-sonnet-4-5-20250929', modelRequested: 'claude-sonnet-4-5', client: 'anthropic-sdk',
      inputTokens: 6012, cacheReadTokens: 3000, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 150, reasoningTokens: 40, usageSource: 'final', outcome: 'ok',
    });
  });

  it('messages, streaming with tool use: events pass through, usage overwritten not added', async () => {
    h.fake.script({ usage, toolCalls: 2 });
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'use tools' }] });
    const final = await stream.finalMessage();
    expect(final.content.filter((b) => b.type === 'tool_use')).toHaveLength(2);
    const [row] = await h.rows();
    expect(row).toMatchObject({ stream: true, outputTokens: 150, toolCalls: 2, inputTokens: 6012, cacheWrite1hTokens: 2000, outcome: 'ok', usageSource: 'final' });
    expect(row!.ttftMs).not.toBeNull();
  });

  it('a stream reaches the client byte for byte', async () => {
    h.fake.script({ usage, toolCalls: 1, thinking: 'hmm' });
    const res = await client().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'bytes' }] }).asResponse();
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(got.toString()).toContain('event: message_stop');
  });

  it('a Message too large to copy (a 33 MB fetched PDF inline) is still metered from the usage that closes it', async () => {
    const data = 'JVBE'.repeat((33 * 1024 * 1024) / 4);
    const document = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data }, title: null, citations: null };
    h.fake.script({
      body: {
        id: 'msg_01Big',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-5-5-20261001',
        content: [{ type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_1', content: { type: 'web_fetch_result', url: 'https://example.com/a.pdf', content: document, retrieved_at: null } }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 120, cache_read_input_tokens: 2000, output_tokens: 850 },
      },
    });
    const { data: message, response } = await client().messages.create({ model: 'claude-sonnet-5-5', max_tokens: 1000, messages: [{ role: 'user', content: 'fetch it' }] }).withResponse();
    expect(message.content).toHaveLength(1);
    expect(h.fake.requests[0]!.sent.length).toBeGreaterThan(32 * 1024 * 1024);
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    // The model opens the Message, out of the tail: the row keeps the one asked for.
    expect(row).toMatchObject({ api: 'anthropic.messages', outcome: 'ok', model: 'claude-sonnet-5-5', inputTokens: 2120, cacheReadTokens: 2000, outputTokens: 850, usageSource: 'final', costPicos: 10_620n });
  });

  it('count_tokens costs nothing, and a ?beta=true query (as Claude Code sends) is kept', async () => {
    const r = await client().beta.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'count' }] });
    expect(r.input_tokens).toBeGreaterThan(0);
    const raw = await fetch(`${h.url}/v1/messages/count_tokens?beta=true&x=a%3Ab&y=c:d&z=%7E~&w`, {
      method: 'POST',
      headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'count' }] }),
    });
    expect(raw.status).toBe(200);
    expect(h.fake.requests[1]!.query.beta).toBe('true');
    // The query reaches the provider as the client wrote it, not re-encoded.
    expect(h.fake.requests[1]!.search).toBe('beta=true&x=a%3Ab&y=c:d&z=%7E~&w');
    const rows = await h.rows();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ api: 'anthropic.count_tokens', costPicos: 0n, unpriced: false });
  });

  it('an overloaded error inside a 200 stream reaches the client and is recorded as an upstream error', async () => {
    h.fake.script({ errorEventAfter: 3, usage });
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded|overloaded/);
    const [row] = await h.rows();
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'overloaded_error', usageSource: 'partial' });
    expect(row!.inputTokens).toBe(6012);
  });

  it('an error event is recorded as the upstream error even when the SDK hangs up before the upstream closes', async () => {
    h.fake.script({ errorEventAfter: 3, endAfterErrorMs: 300, usage });
    const stream = client().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded|overloaded/);
    // The gateway settles when it sees the hang-up, before the upstream's end.
    const row = await vi.waitFor(
      async () => {
        const [r] = await h.rows();
        if (!r) throw new Error('no row yet');
        return r;
      },
      { timeout: 2000 },
    );
    expect(row).toMatchObject({ status: 200, outcome: 'upstream_error', errorType: 'overloaded_error', usageSource: 'partial' });
  });
});

describe('Gemini SDK through Tollgate', () => {
  const client = () => new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
  const usage = { input: 400, cacheRead: 2048, output: 60, reasoning: 25 };

  it('generateContent: usage and key handling', async () => {
    h.fake.script({ usage });
    const r = await client().models.generateContent({ model: 'gemini-2.5-pro', contents: 'hello' });
    expect(r.usageMetadata?.cachedContentTokenCount).toBe(2048);
    const up = h.fake.requests[0]!;
    expect(up.headers['x-goog-api-key']).toBe('gm-upstream');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.generate', model: 'gemini-2.5-pro', stream: false, client: 'genai-sdk', inputTokens: 2448, cacheReadTokens: 2048, outputTokens: 60, reasoningTokens: 25, outcome: 'ok' });
  });

  it('generateContent on the stable API version (apiVersion v1) is metered as on v1beta', async () => {
    h.fake.script({ usage });
    const v1 = new GoogleGenAI({ apiKey: h.key.key, apiVersion: 'v1', httpOptions: { baseUrl: h.url } });
    const r = await v1.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hello' });
    expect(r.usageMetadata?.cachedContentTokenCount).toBe(2048);
    expect(h.fake.requests[0]!.path).toBe('/v1/models/gemini-2.5-pro:generateContent');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.generate', model: 'gemini-2.5-pro', inputTokens: 2448, outputTokens: 60, outcome: 'ok' });
  });

  it('a generated image too large to copy (33 MB inline) is still metered from the usageMetadata that closes the answer', async () => {
    const data = 'iVBO'.repeat((33 * 1024 * 1024) / 4);
    h.fake.script({
      body: {
        candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data } }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 5160, totalTokenCount: 5180 },
        modelVersion: 'gemini-3.6-flash-image',
        responseId: 'Zq2gaf8kD-uNz7IPq4Kx8Q8',
      },
    });
    const { sdkHttpResponse, candidates } = await client().models.generateContent({ model: 'gemini-3.6-flash-image', contents: 'draw a cat' });
    expect(candidates?.[0]?.content?.parts?.[0]?.inlineData?.data).toHaveLength(data.length);
    expect(h.fake.requests[0]!.sent.length).toBeGreaterThan(32 * 1024 * 1024);
    const row = await h.row(sdkHttpResponse!.headers!['x-tollgate-request-id']!);
    expect(row).toMatchObject({ api: 'gemini.generate', outcome: 'ok', model: 'gemini-3.6-flash-image', inputTokens: 20, outputTokens: 5160, usageSource: 'final', responseId: 'Zq2gaf8kD-uNz7IPq4Kx8Q8', costPicos: 51_620n });
  });

  it('streamGenerateContent over SSE: running totals, the last one wins', async () => {
    h.fake.script({ usage, chunks: 5 });
    let text = '';
    for await (const chunk of await client().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'stream' })) text += chunk.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(h.fake.requests[0]!.query.alt).toBe('sse');
    const [row] = await h.rows();
    expect(row).toMatchObject({ stream: true, inputTokens: 2448, outputTokens: 60, usageSource: 'final', outcome: 'ok' });
  });

  it('an SSE stream reaches the client byte for byte, CRLF framing included', async () => {
    h.fake.script({ usage, chunks: 4 });
    const res = await fetch(`${h.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key.key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'sse' }] }] }),
    });
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.toString()).toContain('\r\n\r\n');
    expect(got.equals(h.fake.requests[0]!.sent)).toBe(true);
  });

  it('streamGenerateContent without alt=sse (a JSON array stream), with the key in ?key=', async () => {
    h.fake.script({ usage, chunks: 3 });
    const res = await fetch(`${h.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=${h.key.key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'array' }] }] }),
    });
    const got = Buffer.from(await res.arrayBuffer());
    const up = h.fake.requests[0]!;
    // The virtual key is removed from the query; the configured key goes where Gemini expects an API key.
    expect(up.query.key).toBeUndefined();
    expect(up.headers['x-goog-api-key']).toBe('gm-upstream');
    expect(got.equals(up.sent)).toBe(true);
    const [row] = await h.rows();
    expect(row).toMatchObject({ stream: true, inputTokens: 2448, outputTokens: 60, outcome: 'ok' });
  });
});
