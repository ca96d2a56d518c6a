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

  it('reads the usage Moonshot (Kimi) puts in the last chunk’s choice, and DeepSeek’s cache hits', () => {
    const kimi = [
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"kimi-k3","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n',
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"kimi-k3","choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":{"prompt_tokens":19,"completion_tokens":21,"total_tokens":40,"cached_tokens":10}}]}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    expect(observe(Buffer.from(kimi), true, 17).metered).toMatchObject({ usage: { inputTokens: 19, cacheReadTokens: 10, outputTokens: 21 }, usageSource: 'final', servedModel: 'kimi-k3' });
    const deepseek = [
      'data: {"id":"d1","object":"chat.completion.chunk","created":1,"model":"deepseek-chat","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}\n\n',
      'data: {"id":"d1","object":"chat.completion.chunk","created":1,"model":"deepseek-chat","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":9,"total_tokens":1009,"prompt_cache_hit_tokens":900,"prompt_cache_miss_tokens":100}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    expect(observe(Buffer.from(deepseek)).metered).toMatchObject({ usage: { inputTokens: 1000, cacheReadTokens: 900, outputTokens: 9 }, usageSource: 'final' });
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
      outputEstimate: 3,
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

describe('OpenAI chat stream: the served model, id and tier', () => {
  const event = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
  const head = { id: 'chatcmpl-early', object: 'chat.completion.chunk', created: 1795000100 };
  const delta = (content: string) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 };
  const read = (events: string[], ctx: TapContext = sse) => runTap(openaiAdapter.createTap(chat, ctx), [Buffer.from(events.join('') + 'data: [DONE]\n\n')]).metered;

  it('takes the model of the first chunk that names one when no chunk carries usage (an Azure stream opens with a filter chunk)', () => {
    const m = read([
      event({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] }),
      event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'default', ...delta('Hi') }),
      event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'flex', ...delta(' there') }),
    ]);
    expect(m).toMatchObject({ servedModel: 'gpt-5.6-sol-2026-09-30', responseId: 'chatcmpl-early', serviceTier: 'default', usageSource: 'none' });
  });

  it('gives up on the model after three chunks that name none', () => {
    const none = { ...head, ...delta('x') };
    expect(read([event(none), event(none), event(none), event({ ...head, model: 'late', ...delta('y') })]).servedModel).toBeUndefined();
  });

  it('takes model, id and tier from the usage chunk, whose tier wins over the early chunks', () => {
    const m = read([event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'default', ...delta('Hi') }), event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'priority', choices: [], usage })]);
    expect(m).toMatchObject({ servedModel: 'gpt-5.6-sol-2026-09-30', responseId: 'chatcmpl-early', serviceTier: 'priority', usageSource: 'final' });
    expect(m.usage).toMatchObject({ inputTokens: 10, outputTokens: 2 });
  });

  it('reads the same through the rewrite tap, where the gateway asked for the usage chunk', () => {
    const events = [
      event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'default', ...delta('Hi'), usage: null }),
      event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'default', ...delta('!'), usage: null }),
      event({ ...head, model: 'gpt-5.6-sol-2026-09-30', service_tier: 'default', choices: [], usage }),
    ];
    const m = read(events, { ...sse, injectedStreamUsage: true });
    expect(m).toMatchObject({ servedModel: 'gpt-5.6-sol-2026-09-30', responseId: 'chatcmpl-early', serviceTier: 'default', usageSource: 'final' });
  });
});
