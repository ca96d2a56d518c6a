import { describe, expect, it } from 'vitest';
import { MAX_TOKENS } from '../core/usage.js';
import { claudeCodeCall } from './claude-code-events.js';
import { genAiCall } from './genai-spans.js';
import type { Attrs, LogItem, SpanItem } from './otlp-model.js';

const END = 1_764_496_805_000;

function event(attrs: Attrs): LogItem {
  const base = { model: 'claude-opus-4-1', input_tokens: 10, output_tokens: 20, duration_ms: 2000, ttft_ms: 300, attempt: 2, request_id: 'req_b' };
  return { resource: {}, scope: 'com.anthropic.claude_code.events', attrs: { ...base, ...attrs }, eventName: '', timeNanos: BigInt(END) * 1_000_000n, observedNanos: 0n, body: 'claude_code.api_request', traceId: '', spanId: '' };
}

function span(attrs: Attrs): SpanItem {
  const base = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 20 };
  return { resource: {}, scope: 'x', attrs: { ...base, ...attrs }, traceId: '01', spanId: '02', name: 'chat', kind: 3, startNanos: BigInt(END) * 1_000_000n, endNanos: BigInt(END + 900) * 1_000_000n, statusCode: 0, statusMessage: '' };
}

describe('numbers out of bounds in telemetry read as absent', () => {
  it('a token count above MAX_TOKENS, or negative, is no tokens (as the log importers read it)', () => {
    expect(claudeCodeCall(event({ input_tokens: 10_000_000_000_000, cache_read_tokens: -5, output_tokens: '1e300' }))).toMatchObject({ usage: { inputTokens: 0, cacheReadTokens: 0, outputTokens: 0 } });
    expect(claudeCodeCall(event({ input_tokens: MAX_TOKENS }))).toMatchObject({ usage: { inputTokens: MAX_TOKENS } });
    expect(genAiCall(span({ 'gen_ai.usage.input_tokens': 1e13, 'gen_ai.usage.reasoning.output_tokens': 1e300 }))).toMatchObject({ usage: { inputTokens: 0, outputTokens: 20, reasoningTokens: 0 } });
  });

  it('a duration or time to first token over a day, or negative, is absent; so is an attempt count over 1000', () => {
    expect(claudeCodeCall(event({ duration_ms: 1e20, ttft_ms: 1e300, attempt: 1e300 }))).toMatchObject({ ts: END, latencyMs: 0, ttftMs: null, attempts: 1 });
    expect(claudeCodeCall(event({ duration_ms: -5, ttft_ms: -1, attempt: '-3' }))).toMatchObject({ ts: END, latencyMs: 0, ttftMs: null, attempts: 1 });
    expect(claudeCodeCall(event({}))).toMatchObject({ ts: END - 2000, latencyMs: 2000, ttftMs: 300, attempts: 2 });
    expect(genAiCall(span({ 'gen_ai.response.time_to_first_chunk': 1e300, 'http.response.status_code': 1e300 }))).toMatchObject({ ttftMs: null, status: 200 });
    expect(genAiCall(span({ 'gen_ai.response.time_to_first_chunk': 0.25, 'http.response.status_code': 429 }))).toMatchObject({ ttftMs: 250, status: 429 });
  });
});
