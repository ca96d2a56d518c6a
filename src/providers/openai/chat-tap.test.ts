import { describe, expect, it } from 'vitest';
import { fixtures, runTap, everyNBytes } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const chat: RouteMatch = { api: 'openai.chat', dialect: 'openai', method: 'POST' };
const sse: TapContext = { status: 200, contentType: 'text/event-stream; charset=utf-8', stream: true, injectedStreamUsage: false, requestedModel: 'gpt-5.6-sol' };
const observe = (bytes: Buffer, complete = true, chunk = 64) => runTap(openaiAdapter.createTap(chat, sse), everyNBytes(bytes, chunk), complete);

const streamUsage = {
  inputTokens: 2048,
  cacheReadTokens: 1024,
  cacheWriteTokens: 512,
  cacheWrite1hTokens: 0,
  outputTokens: 187,
  reasoningTokens: 64,
  toolCalls: 2,
};

describe('OpenAI chat stream tap (observe)', () => {
  it('forwards every chunk unchanged and at once, and reads the final usage chunk', () => {
    const input = fixture('chat-stream-usage.sse');
    const chunks = everyNBytes(input, 50);
    const run = runTap(openaiAdapter.createTap(chat, sse), chunks);
    expect(run.emits).toEqual(chunks);
    expect(run.metered).toEqual({
      usage: streamUsage,
      usageSource: 'final',
      servedModel: 'gpt-5.6-sol-2026-09-30',
      error: undefined,
      sawEnd: true,
      serviceTier: 'default',
      responseId: 'chatcmpl-DA41f9sQx2',
    });
  });

  it('counts distinct tool-call indices, not their argument deltas, even without usage', () => {
    const run = observe(fixture('chat-stream.sse'));
    expect(run.metered.usage.toolCalls).toBe(2);
    expect(run.metered.usageSource).toBe('none');
    expect(run.metered.sawEnd).toBe(true);
  });

  it('takes the last cumulative usage from Gemini\'s OpenAI endpoint instead of summing', () => {
    const run = observe(fixture('chat-stream-gemini-compat.sse'));
    expect(run.metered).toMatchObject({
      usage: { inputTokens: 14, outputTokens: 98, reasoningTokens: 82, cacheReadTokens: 0, toolCalls: 0 },
      usageSource: 'final',
      servedModel: 'gemini-3.6-flash',
      sawEnd: true,
    });
  });

  it('reports a stream cut mid-event as partial, with the last total seen', () => {
    const input = fixture('chat-stream-gemini-compat.sse');
    const cut = input.subarray(0, input.indexOf('Eiffel'));
    const run = observe(cut, false);
    expect(run.bytes.equals(cut)).toBe(true);
    expect(run.metered).toMatchObject({ usage: { inputTokens: 14, outputTokens: 91 }, usageSource: 'partial', sawEnd: false });
  });

  it('counts usage as final once the usage-only chunk arrived, even if [DONE] did not', () => {
    const input = fixture('chat-stream-usage.sse');
    const run = observe(input.subarray(0, input.indexOf('data: [DONE]')), false);
    expect(run.metered).toMatchObject({ usage: streamUsage, usageSource: 'final', sawEnd: false });
  });

  it('reports nothing for an OpenAI stream cut before its usage chunk', () => {
    const input = fixture('chat-stream-usage.sse');
    const run = observe(input.subarray(0, input.indexOf('"choices":[]')), false);
    expect(run.metered).toMatchObject({ usageSource: 'none', sawEnd: false, servedModel: 'gpt-5.6-sol-2026-09-30' });
    expect(run.metered.usage.toolCalls).toBe(2);
  });

  it('records an error sent inside a 200 stream', () => {
    const run = observe(fixture('chat-stream-error.sse'));
    expect(run.metered).toEqual({
      usage: { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0 },
      usageSource: 'none',
      servedModel: 'gpt-5.6-terra-2026-09-30',
      error: { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' },
      sawEnd: false,
      serviceTier: 'default',
      responseId: 'chatcmpl-DA52hT0e',
    });
  });

  it('records an SSE `event: error` too', () => {
    const run = observe(Buffer.from('event: error\ndata: {"error":{"message":"overloaded","type":"server_error","code":null}}\n\n'));
    expect(run.metered.error).toEqual({ type: 'server_error', message: 'overloaded' });
  });

  it('reads an `event:` field after other events in the same chunk, and not the words "event:" in content', () => {
    const content = 'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"event: x"}}]}\n\n';
    const run = runTap(openaiAdapter.createTap(chat, sse), [Buffer.from(content), Buffer.from(`${content}event: error\ndata: {"message":"overloaded"}\n\n`)]);
    expect(run.metered.error).toEqual({ type: 'error', message: '{"message":"overloaded"}' });
  });

  it('takes llama.cpp timings.cache_n as cache reads when the usage has no details', () => {
    const stream =
      'data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"c","model":"qwen3-8b","object":"chat.completion.chunk","timings":{"cache_n":300,"prompt_n":20}}\n\n' +
      'data: {"choices":[],"created":1,"id":"c","model":"qwen3-8b","object":"chat.completion.chunk","usage":{"completion_tokens":9,"prompt_tokens":320,"total_tokens":329}}\n\n' +
      'data: [DONE]\n\n';
    const run = observe(Buffer.from(stream));
    expect(run.metered.usage).toMatchObject({ inputTokens: 320, cacheReadTokens: 300, outputTokens: 9 });
  });
});
