import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { everyNBytes, fixtures, runTap } from '../testing/tap-runner.js';
import type { Api } from '../../core/api.js';
import type { TapContext } from '../types.js';
import { anthropicAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const sse: TapContext = { status: 200, contentType: 'text/event-stream; charset=utf-8', stream: true, injectedStreamUsage: false, requestedModel: 'claude-opus-5-5' };
const json = (status = 200): TapContext => ({ ...sse, status, contentType: 'application/json', stream: false });
const tap = (bytes: Buffer, ctx = sse, api: Api = 'anthropic.messages', complete = true) =>
  runTap(anthropicAdapter.createTap({ api, dialect: 'anthropic', method: 'POST' }, ctx), everyNBytes(bytes, 80), complete);

describe('Anthropic stream tap', () => {
  it('forwards bytes unchanged and reads message_start overlaid by message_delta', () => {
    const input = fixture('message-stream.sse');
    const run = tap(input);
    expect(run.emits).toEqual(everyNBytes(input, 80));
    expect(run.metered).toEqual({
      usage: { inputTokens: 23120, cacheReadTokens: 20000, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 850, reasoningTokens: 500, toolCalls: 1 },
      usageSource: 'final',
      servedModel: 'claude-opus-5-5-20261015',
      error: undefined,
      sawEnd: true,
      serviceTier: 'priority',
      responseId: 'msg_01Kp7Nq3xWm2',
    });
  });

  it('overwrites with message_delta totals instead of adding them, and keeps fields it sends as null; counts the web searches', () => {
    expect(tap(fixture('message-stream-server-tools.sse')).metered).toEqual({
      usage: { inputTokens: 6350, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 410, reasoningTokens: 0, toolCalls: 2, webSearches: 1 },
      usageSource: 'final',
      servedModel: 'claude-haiku-5-5',
      error: undefined,
      sawEnd: true,
      serviceTier: 'standard',
      responseId: 'msg_01Ws8Rj',
    });
  });

  it('takes message_delta’s split of the prompt over message_start’s, even where its input is smaller (Kimi, Qwen)', () => {
    // Bifrost #5355: such servers count the whole prompt as input at the start and split out the
    // cache reads at the end; a merge that kept the larger input would bill 8,834 tokens twice.
    const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    const input = Buffer.from(
      ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'qwen3.7-plus', content: [], usage: { input_tokens: 8834, output_tokens: 0 } } }) +
        ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 18, output_tokens: 426, cache_creation_input_tokens: 0, cache_read_input_tokens: 8831, cache_creation: { ephemeral_5m_input_tokens: 0 } } }) +
        ev('message_stop', {}),
    );
    expect(tap(input).metered).toMatchObject({ usage: { inputTokens: 8849, cacheReadTokens: 8831, cacheWriteTokens: 0, outputTokens: 426 }, usageSource: 'final' });
  });

  it('reports exact input and a lower-bound output when the stream is cut before message_delta', () => {
    const input = fixture('message-stream.sse');
    const run = tap(input.subarray(0, input.indexOf('event: message_delta') + 25), sse, 'anthropic.messages', false);
    expect(run.metered).toMatchObject({
      usage: { inputTokens: 23120, cacheReadTokens: 20000, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 1, toolCalls: 1 },
      usageSource: 'partial',
      sawEnd: false,
    });
  });

  it('records an error event inside a 200 stream, with the partial usage', () => {
    expect(tap(fixture('message-stream-overloaded.sse')).metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 4144, cacheReadTokens: 4096, outputTokens: 2 },
      usageSource: 'partial',
      servedModel: 'claude-sonnet-5-5-20261001',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      sawEnd: false,
      serviceTier: 'standard',
      responseId: 'msg_01Ov3rL',
      outputEstimate: 5,
    });
  });

  it('reads servers that omit event: lines (type first in the JSON)', () => {
    const input = fixture('message-stream.sse').toString().replace(/^event: .*\n/gm, '');
    expect(tap(Buffer.from(input)).metered).toEqual(tap(fixture('message-stream.sse')).metered);
  });

  it('knows nothing about a stream cut before message_start', () => {
    expect(tap(Buffer.from('event: message_start\ndata: {"type":"mess'), sse, 'anthropic.messages', false).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: undefined,
      sawEnd: false,
    });
  });
});

describe('Anthropic non-stream bodies', () => {
  it('reads a Message: TTL split, cache reads, thinking and tool_use blocks', () => {
    expect(tap(fixture('message.json'), json()).metered).toEqual({
      usage: { inputTokens: 23120, cacheReadTokens: 20000, cacheWriteTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 850, reasoningTokens: 500, toolCalls: 2 },
      usageSource: 'final',
      servedModel: 'claude-sonnet-5-5-20261001',
      error: undefined,
      sawEnd: true,
      serviceTier: 'standard',
      responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    });
  });

  it('meters nothing for count_tokens', () => {
    expect(tap(fixture('count-tokens.json'), json(), 'anthropic.count_tokens').metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: undefined,
      sawEnd: true,
    });
  });

  it('reads error bodies', () => {
    expect(tap(fixture('error-rate-limit.json'), json(429)).metered).toEqual({
      usage: zeroUsage(),
      usageSource: 'none',
      servedModel: undefined,
      error: { type: 'rate_limit_error', message: "This request would exceed your organization's rate limit of 400,000 input tokens per minute." },
      sawEnd: true,
    });
    const overloaded = Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}');
    expect(tap(overloaded, json(529), 'anthropic.count_tokens').metered.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
  });
});

describe('Anthropic Messages past the copy limit', () => {
  // Web fetches return the PDFs they fetched inline, base64: a few pass the 32 MB copy limit.
  const message = (pdfBytes: number) =>
    Buffer.concat([
      Buffer.from('{"id":"msg_01Big","type":"message","role":"assistant","model":"claude-sonnet-5-5-20261001","content":[{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_1","content":{"type":"web_fetch_result","url":"https://example.com/a.pdf","content":{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"'),
      Buffer.alloc(pdfBytes, 'JVBE'),
      Buffer.from('"},"title":null,"citations":null},"retrieved_at":null}},{"type":"tool_use","id":"toolu_1","name":"save","input":{"usage":{"input_tokens":1},"model":"not-this"}}],"stop_reason":"end_turn","stop_sequence":null,'),
      Buffer.from('"usage":{"input_tokens":120,"cache_creation_input_tokens":0,"cache_read_input_tokens":2000,"output_tokens":850,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":1},"service_tier":"standard"}}'),
    ]);

  it('reads the usage that closes the Message; its model and id, which open it, are out of reach', () => {
    const body = message(MAX_BODY_COPY);
    const run = runTap(anthropicAdapter.createTap({ api: 'anthropic.messages', dialect: 'anthropic', method: 'POST' }, json()), everyNBytes(body, 64 * 1024));
    expect(run.bytes.equals(body)).toBe(true);
    expect(run.metered).toEqual({
      usage: { ...zeroUsage(), inputTokens: 2120, cacheReadTokens: 2000, outputTokens: 850 },
      usageSource: 'final',
      servedModel: 'claude-opus-5-5',
      error: undefined,
      sawEnd: true,
      serviceTier: 'standard',
    });
  });
});

describe('the container an Anthropic answer ran code in', () => {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;
  const container = { id: 'container_011', expires_at: '2026-12-07T12:00:00Z' };

  it('reads it from a whole Message, and from the message_delta of a stream', () => {
    const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: 'end_turn', container, usage: { input_tokens: 5, output_tokens: 1 } };
    expect(tap(Buffer.from(JSON.stringify(message)), json()).metered.containers).toEqual(['container_011']);
    expect(tap(Buffer.from(JSON.stringify({ ...message, container: null })), json()).metered.containers).toBeUndefined();
    const stream =
      ev('message_start', { message: { ...message, container: null, usage: { input_tokens: 5, output_tokens: 0 } } }) +
      ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null, container }, usage: { output_tokens: 1 } }) +
      ev('message_stop', {});
    expect(tap(Buffer.from(stream)).metered).toMatchObject({ containers: ['container_011'], responseId: 'msg_1', usage: { inputTokens: 5, outputTokens: 1 } });
  });
});

describe('the taps of the Skills API', () => {
  it('reads the id of a skill made, not of a version, and passes a version download through unread', () => {
    const skill = Buffer.from(JSON.stringify({ id: 'skill_01A', type: 'skill', created_at: '2026-12-07T00:00:00Z', display_name: 'report', latest_version_id: '1', source: { type: 'custom' }, updated_at: '2026-12-07T00:00:00Z' }));
    const made = runTap(anthropicAdapter.createTap({ api: 'anthropic.skills', dialect: 'anthropic', method: 'POST' }, json()), [skill], true);
    expect(made.bytes.equals(skill)).toBe(true);
    expect(made.metered.responseId).toBe('skill_01A');
    const version = Buffer.from(JSON.stringify({ id: '1759178010641129', type: 'skill_version', skill_id: 'skill_01A' }));
    expect(runTap(anthropicAdapter.createTap({ api: 'anthropic.skill_versions', dialect: 'anthropic', method: 'POST', resourceId: 'skill_01A' }, json()), [version], true).metered.responseId).toBeUndefined();
    const download = anthropicAdapter.createTap({ api: 'anthropic.skill_content', dialect: 'anthropic', method: 'GET', resourceId: 'skill_01A' }, { ...json(), contentType: 'application/zip' });
    expect(download.readsNothing).toBe(true);
  });
});
