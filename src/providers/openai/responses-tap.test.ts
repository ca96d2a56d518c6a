import { describe, expect, it } from 'vitest';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const route: RouteMatch = { api: 'openai.responses', dialect: 'openai', method: 'POST' };
const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'gpt-5.6-luna' };
const observe = (bytes: Buffer, complete = true) => runTap(openaiAdapter.createTap(route, sse), everyNBytes(bytes, 97), complete);

describe('OpenAI Responses stream tap', () => {
  it('reads usage from response.completed only, with the 12h cache-write split', () => {
    const input = fixture('responses-stream.sse');
    const run = observe(input);
    expect(run.bytes.equals(input)).toBe(true);
    expect(run.metered).toEqual({
      usage: { inputTokens: 6400, cacheReadTokens: 5120, cacheWriteTokens: 1200, cacheWrite1hTokens: 1200, outputTokens: 352, reasoningTokens: 256, toolCalls: 1 },
      usageSource: 'final',
      servedModel: 'gpt-5.6-luna-2026-10-14',
      error: undefined,
      sawEnd: true,
      serviceTier: 'default',
      responseId: 'resp_68f1c1',
    });
  });

  it('reads the same from servers that omit the event: lines', () => {
    const input = fixture('responses-stream.sse').toString().replace(/^event: .*\n/gm, '');
    expect(observe(Buffer.from(input)).metered).toEqual(observe(fixture('responses-stream.sse')).metered);
  });

  it('records response.failed as an error, with its usage', () => {
    expect(observe(fixture('responses-stream-failed.sse')).metered).toMatchObject({
      usage: { inputTokens: 800, outputTokens: 3, toolCalls: 0 },
      usageSource: 'final',
      error: { type: 'server_error', message: 'An error occurred while processing your request.' },
      sawEnd: true,
    });
  });

  it('records an error event', () => {
    expect(observe(fixture('responses-stream-error.sse')).metered).toMatchObject({
      usageSource: 'none',
      servedModel: 'gpt-5.6-sol-2026-09-30',
      error: { type: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5.6-sol. Please try again in 1.2s.' },
      sawEnd: false,
    });
  });

  it('keeps the model and tool calls of a stream cut before its terminal event', () => {
    const input = fixture('responses-stream.sse');
    const run = observe(input.subarray(0, input.indexOf('event: response.completed') + 30), false);
    expect(run.metered).toMatchObject({
      usage: { inputTokens: 0, toolCalls: 1 },
      usageSource: 'none',
      servedModel: 'gpt-5.6-luna-2026-10-14',
      sawEnd: false,
    });
  });
});
