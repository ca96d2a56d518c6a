import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { Api } from '../../core/api.js';
import type { TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const json = (status = 200): TapContext => ({ status, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: 'm' });
const tap = (api: Api, body: Buffer, status = 200, complete = true) =>
  runTap(openaiAdapter.createTap({ api, dialect: 'openai', method: 'POST' }, json(status)), everyNBytes(body, 100), complete);

describe('OpenAI non-stream bodies', () => {
  it('forwards the body unchanged, chunk by chunk', () => {
    const body = fixture('chat.json');
    const run = tap('openai.chat', body);
    expect(run.emits).toEqual(everyNBytes(body, 100));
  });

  it('reads a chat completion: cache reads and writes, reasoning, tool calls, tier', () => {
    expect(tap('openai.chat', fixture('chat.json')).metered).toEqual({
      usage: { inputTokens: 5120, cacheReadTokens: 4096, cacheWriteTokens: 896, cacheWrite1hTokens: 0, outputTokens: 410, reasoningTokens: 320, toolCalls: 2 },
      usageSource: 'final',
      servedModel: 'gpt-5.6-sol-2026-09-30',
      error: undefined,
      sawEnd: true,
      serviceTier: 'priority',
      responseId: 'chatcmpl-DA3zK1mQ8p',
    });
  });

  it('takes llama.cpp timings.cache_n when prompt_tokens_details is absent', () => {
    expect(tap('openai.chat', fixture('chat-llamacpp.json')).metered).toMatchObject({
      usage: { inputTokens: 1200, cacheReadTokens: 1100, outputTokens: 42, toolCalls: 0 },
      usageSource: 'final',
      servedModel: 'qwen3-8b-q4_k_m.gguf',
    });
  });

  it('reads a Response: 30m and 12h cache writes, reasoning, function and custom tool calls', () => {
    expect(tap('openai.responses', fixture('responses.json')).metered).toEqual({
      usage: { inputTokens: 12000, cacheReadTokens: 8000, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 900, reasoningTokens: 600, toolCalls: 2 },
      usageSource: 'final',
      servedModel: 'gpt-5.6-sol-2026-09-30',
      error: undefined,
      sawEnd: true,
      serviceTier: 'priority',
      responseId: 'resp_68f1c0a9e2b4',
      // Its output's items, which a later request may reference.
      items: ['rs_01', 'fc_01', 'ctc_01', 'msg_01'],
    });
  });

  it('reads a failed Response as an error with its usage', () => {
    const body = Buffer.from(
      '{"id":"resp_1","object":"response","status":"failed","model":"gpt-5.6-sol","error":{"code":"server_error","message":"boom"},"output":[],"usage":{"input_tokens":10,"output_tokens":0}}',
    );
    expect(tap('openai.responses', body).metered).toMatchObject({ error: { type: 'server_error', message: 'boom' }, usage: { inputTokens: 10 } });
  });

  it('reads a compaction: a Response’s usage and the compaction’s id; it names no model, so the model sent served it', () => {
    const body = Buffer.from(
      '{"id":"resp_cmp1","object":"response.compaction","output":[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"input_text","text":"hi"}],"role":"user"},{"id":"cmp_1","type":"compaction","encrypted_content":"gAAAA=="}],"created_at":1764967971,' +
        '"usage":{"input_tokens":139,"input_tokens_details":{"cached_tokens":100},"output_tokens":438,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":577}}',
    );
    expect(tap('openai.compact', body).metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 139, cacheReadTokens: 100, outputTokens: 438, reasoningTokens: 64 },
      usageSource: 'final',
      servedModel: 'm',
      error: undefined,
      sawEnd: true,
      responseId: 'resp_cmp1',
      // Read as a Response's are; no stored Response's, so no one is made their owner (madeObjects).
      items: ['msg_1', 'cmp_1'],
    });
  });

  it('reads embeddings input tokens', () => {
    expect(tap('openai.embeddings', fixture('embeddings.json')).metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 17 },
      usageSource: 'final',
      servedModel: 'text-embedding-3-small',
      error: undefined,
      sawEnd: true,
    });
  });

  it('meters nothing for the model list', () => {
    expect(tap('openai.models', fixture('models.json')).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: undefined,
      sawEnd: true,
    });
  });

  it('reads error bodies: OpenAI, vLLM (integer code) and non-JSON', () => {
    expect(tap('openai.chat', fixture('error-rate-limit.json'), 429).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: { type: 'rate_limit_exceeded', message: expect.stringMatching(/^Rate limit reached/) as unknown },
      sawEnd: true,
    });
    expect(tap('openai.chat', fixture('error-vllm.json'), 404).metered.error).toEqual({
      type: 'NotFoundError',
      message: 'The model `llama-4-scout` does not exist.',
    });
    expect(tap('openai.chat', Buffer.from('<html><body>502 Bad Gateway</body></html>'), 502).metered.error).toEqual({
      type: 'http_502',
      message: '<html><body>502 Bad Gateway</body></html>',
    });
    expect(tap('openai.chat', Buffer.from(''), 503).metered.error).toEqual({ type: 'http_503', message: 'HTTP 503' });
  });

  it('reads an error body even when the request was a stream', () => {
    const ctx: TapContext = { ...json(429), stream: true, injectedStreamUsage: true };
    const run = runTap(openaiAdapter.createTap({ api: 'openai.chat', dialect: 'openai', method: 'POST' }, ctx), [fixture('error-rate-limit.json')]);
    expect(run.bytes.equals(fixture('error-rate-limit.json'))).toBe(true);
    expect(run.metered.error?.type).toBe('rate_limit_exceeded');
  });

  it('reports a truncated body as not ended, with nothing read', () => {
    const body = fixture('chat.json');
    const run = tap('openai.chat', body.subarray(0, 300), 200, false);
    expect(run.metered).toMatchObject({ usageSource: 'none', sawEnd: false });
  });

  it('stops copying a body past the size cap but still forwards it', () => {
    const big = Buffer.alloc(MAX_BODY_COPY + 10, 0x20);
    const run = runTap(openaiAdapter.createTap({ api: 'openai.embeddings', dialect: 'openai', method: 'POST' }, json()), everyNBytes(big, 4 * 1024 * 1024));
    expect(run.bytes.length).toBe(big.length);
    expect(run.metered.usageSource).toBe('none');
  });

  it('reads the usage and model that close a body past the size cap (a batch of large embeddings)', () => {
    const vectors = Buffer.alloc(MAX_BODY_COPY, 'AAAA');
    const body = Buffer.concat([Buffer.from('{\n  "object": "list",\n  "data": [{"object": "embedding", "index": 0, "embedding": "'), vectors, Buffer.from('"}],\n  "model": "text-embedding-3-large",\n  "usage": {\n    "prompt_tokens": 300000,\n    "total_tokens": 300000\n  }\n}\n')]);
    const run = runTap(openaiAdapter.createTap({ api: 'openai.embeddings', dialect: 'openai', method: 'POST' }, json()), everyNBytes(body, 64 * 1024));
    expect(run.bytes.equals(body)).toBe(true);
    expect(run.metered).toMatchObject({ usage: { ...zeroUsage(), inputTokens: 300000 }, usageSource: 'final', servedModel: 'text-embedding-3-large', sawEnd: true });
  });

  describe('an embeddings list longer than its tail', () => {
    const vectors = (n: number) => Array.from({ length: n }, (_, i) => ({ object: 'embedding', index: i, embedding: Array.from({ length: 256 }, (_, k) => Math.sin(i + k) / 7) }));
    const usage = { prompt_tokens: 4096, total_tokens: 4096 };
    const embed = (body: object) => tap('openai.embeddings', Buffer.from(JSON.stringify(body))).metered;
    const expected = { usage: { ...zeroUsage(), inputTokens: 4096 }, usageSource: 'final', servedModel: 'text-embedding-3-small', error: undefined, sawEnd: true };

    it('is read from the model and usage that close it, as OpenAI writes them', () => {
      expect(embed({ object: 'list', data: vectors(200), model: 'text-embedding-3-small', usage })).toEqual(expected);
    });

    it('is read from its tail alone: the vectors before it are not parsed', () => {
      const body = Buffer.concat([Buffer.from('{"object":"list","data":[not json '), Buffer.alloc(200 * 1024, 'x'), Buffer.from('],"model":"text-embedding-3-small","usage":{"prompt_tokens":4096,"total_tokens":4096}}')]);
      expect(tap('openai.embeddings', body).metered).toEqual(expected);
      // In one chunk, or in chunks larger than the tail.
      for (const size of [body.length, 96 * 1024]) {
        expect(runTap(openaiAdapter.createTap({ api: 'openai.embeddings', dialect: 'openai', method: 'POST' }, json()), everyNBytes(body, size)).metered).toEqual(expected);
      }
    });

    it('is read whole when the tail does not hold both (model or usage written before the vectors, as some servers do)', () => {
      expect(embed({ object: 'list', model: 'text-embedding-3-small', data: vectors(200), usage })).toEqual(expected);
      expect(embed({ object: 'list', usage, model: 'text-embedding-3-small', data: vectors(200) })).toEqual(expected);
    });
  });

  it('reads a Response past the size cap (images in its output): its usage, tool_usage and tools close it', () => {
    const image = Buffer.alloc(MAX_BODY_COPY, 'AAAA');
    const body = Buffer.concat([
      Buffer.from('{"id":"resp_img","object":"response","status":"completed","model":"gpt-4.1","output":[{"type":"image_generation_call","id":"ig_1","status":"completed","result":"'),
      image,
      Buffer.from('"}],"tools":[{"type":"image_generation","model":"gpt-image-1-mini"}],"usage":{"input_tokens":1000,"output_tokens":100},'),
      Buffer.from('"tool_usage":{"image_gen":{"input_tokens":40,"input_tokens_details":{"image_tokens":0,"text_tokens":40},"output_tokens":1056,"total_tokens":1096}},"metadata":{}}'),
    ]);
    const run = runTap(openaiAdapter.createTap({ api: 'openai.responses', dialect: 'openai', method: 'POST' }, json()), everyNBytes(body, 64 * 1024));
    expect(run.metered.usage).toEqual({ ...zeroUsage(), inputTokens: 1000, outputTokens: 100, imageGeneration: { model: 'gpt-image-1-mini', textInput: 40, imageInput: 0, cachedInput: 0, output: 1056 } });
  });
});
