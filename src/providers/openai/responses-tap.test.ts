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
      items: ['rs_11', 'fc_11', 'msg_11'],
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

describe('the items and containers a Responses answer names', () => {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;
  const ci = { id: 'ci_1', type: 'code_interpreter_call', status: 'completed', code: 'print(1)', container_id: 'cntr_1', outputs: null };
  const shell = { id: 'sh_1', type: 'shell_call', status: 'completed', call_id: 'call_1', action: { commands: ['ls'] }, environment: { type: 'container_reference', container_id: 'cntr_2' } };

  it('reads them from a streamed Response, from the items as they begin when it is cut before its end', () => {
    const shellFor = (output: unknown[]) => ({ id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-5', output, usage: { input_tokens: 5, output_tokens: 1 } });
    const started = ev('response.created', { response: shellFor([]) }) + ev('response.output_item.added', { output_index: 0, item: { ...ci, status: 'in_progress' } });
    expect(observe(Buffer.from(started), false).metered).toMatchObject({ items: ['ci_1'], containers: ['cntr_1'] });
    const whole = started + ev('response.completed', { response: shellFor([ci, shell, { id: 'msg_1', type: 'message', role: 'assistant', content: [] }]) });
    expect(observe(Buffer.from(whole)).metered).toMatchObject({ items: ['ci_1', 'sh_1', 'msg_1'], containers: ['cntr_1', 'cntr_2'] });
  });

  it('reads them from a whole Response and from the input items a lookup lists', () => {
    const json: TapContext = { ...sse, contentType: 'application/json', stream: false };
    const read = (body: unknown) => runTap(openaiAdapter.createTap({ api: 'openai.responses_lookup', dialect: 'openai', method: 'GET', resourceId: 'resp_1' }, json), [Buffer.from(JSON.stringify(body))], true).metered;
    expect(read({ id: 'resp_1', object: 'response', status: 'completed', output: [ci] })).toMatchObject({ items: ['ci_1'], containers: ['cntr_1'] });
    expect(read({ object: 'list', data: [{ id: 'msg_in', type: 'message', role: 'user', content: [] }], has_more: false })).toMatchObject({ items: ['msg_in'] });
  });
});

describe('the conversation a Responses answer names, and the items of a conversation', () => {
  const json: TapContext = { ...sse, contentType: 'application/json', stream: false };
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;
  const response = { id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-5', output: [], conversation: { id: 'conv_1' }, usage: { input_tokens: 5, output_tokens: 1 } };

  it('reads the conversation of a whole Response, and of a stream from its first event', () => {
    const read = (body: unknown) => runTap(openaiAdapter.createTap(route, json), [Buffer.from(JSON.stringify(body))], true).metered;
    expect(read(response).conversations).toEqual(['conv_1']);
    expect(read({ ...response, conversation: null }).conversations).toBeUndefined();
    const created = ev('response.created', { response: { ...response, status: 'in_progress', usage: null } });
    expect(observe(Buffer.from(created), false).metered.conversations).toEqual(['conv_1']);
    expect(observe(Buffer.from(created + ev('response.completed', { response }))).metered.conversations).toEqual(['conv_1']);
  });

  it('reads the id of a created conversation, and the items a conversation answer holds, its bytes unchanged', () => {
    const run = (method: RouteMatch['method'], api: RouteMatch['api'], body: unknown, resourceId?: string) => {
      const bytes = Buffer.from(JSON.stringify(body, null, 2));
      const r = runTap(openaiAdapter.createTap({ api, dialect: 'openai', method, ...(resourceId === undefined ? {} : { resourceId }) }, json), [bytes], true);
      expect(r.bytes.equals(bytes)).toBe(true);
      return r.metered;
    };
    const conversation = { id: 'conv_1', object: 'conversation', created_at: 1, metadata: null };
    expect(run('POST', 'openai.conversations', conversation)).toMatchObject({ responseId: 'conv_1', usage: { inputTokens: 0, outputTokens: 0 } });
    expect(run('GET', 'openai.conversations', conversation, 'conv_1').responseId).toBeUndefined();
    const msg = { id: 'msg_1', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
    expect(run('POST', 'openai.conversation_items', { object: 'list', data: [msg], first_id: 'msg_1', last_id: 'msg_1', has_more: false }, 'conv_1').items).toEqual(['msg_1']);
    expect(run('GET', 'openai.conversation_items', msg, 'conv_1').items).toEqual(['msg_1']);
    // Deleting an item answers with the conversation, which is no item.
    expect(run('DELETE', 'openai.conversation_items', conversation, 'conv_1').items).toBeUndefined();
  });
});
