import { describe, expect, it } from 'vitest';
import { runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';
import { readInputLine, readOutputLine } from './batches.js';
import { lookupOpenaiRoute } from './routes.js';

const ctx: TapContext = { status: 200, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: '' };

const chatLine = (customId: string, status = 200) =>
  JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: {
      status_code: status,
      request_id: 'req_1',
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] } }],
        usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 64 }, completion_tokens_details: { reasoning_tokens: 5 } },
        service_tier: 'default',
      },
    },
    error: null,
  });

describe('OpenAI Batch API routes', () => {
  it('serves files and batches, with the resource id; a multipart upload is forwarded as it came', () => {
    const api = (method: string, path: string) => {
      const l = lookupOpenaiRoute(method, path);
      return l.kind === 'match' ? [l.route.api, l.route.resourceId, l.route.noBody === true, l.route.rawBody === true] : l.kind;
    };
    expect(api('POST', '/v1/files')).toEqual(['openai.files', undefined, false, true]);
    expect(api('GET', '/v1/files')).toEqual(['openai.files', undefined, true, false]);
    expect(api('GET', '/v1/files/file-abc')).toEqual(['openai.files', 'file-abc', true, false]);
    expect(api('DELETE', '/v1/files/file-abc')).toEqual(['openai.files', 'file-abc', true, false]);
    expect(api('GET', '/v1/files/file-abc/content')).toEqual(['openai.file_content', 'file-abc', true, false]);
    expect(api('POST', '/v1/batches')).toEqual(['openai.batches', undefined, false, false]);
    expect(api('GET', '/v1/batches')).toEqual(['openai.batches', undefined, true, false]);
    expect(api('GET', '/v1/batches/batch_1')).toEqual(['openai.batches', 'batch_1', true, false]);
    expect(api('POST', '/v1/batches/batch_1/cancel')).toEqual(['openai.batches', 'batch_1', true, false]);
    expect(api('GET', '/v1/files/a/b/content')).toBe('unknown');
    // Anthropic's Files API shares the path: a request that says it is Anthropic's is not taken for OpenAI's.
    expect(lookupOpenaiRoute('GET', '/v1/files', false).kind).toBe('unknown');
    expect(lookupOpenaiRoute('POST', '/v1/batches', false).kind).toBe('match');
  });

  it('a batch names no model of its own', () => {
    const create: RouteMatch = { api: 'openai.batches', dialect: 'openai', method: 'POST' };
    expect(openaiAdapter.inspectRequest(create, { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' })).toEqual({ model: '', stream: false });
  });
});

describe('OpenAI batch taps', () => {
  const create: RouteMatch = { api: 'openai.batches', dialect: 'openai', method: 'POST' };
  const batch = Buffer.from('{"id":"batch_abc","object":"batch","status":"validating","output_file_id":null}');

  it('a create’s row takes the batch’s id; a retrieve’s does not; the body passes unchanged', () => {
    const run = runTap(openaiAdapter.createTap(create, ctx), [batch.subarray(0, 9), batch.subarray(9)]);
    expect(run.bytes.equals(batch)).toBe(true);
    expect(run.metered).toMatchObject({ responseId: 'batch_abc', usageSource: 'none' });
    expect(runTap(openaiAdapter.createTap({ ...create, method: 'GET', noBody: true, resourceId: 'batch_abc' }, ctx), [batch]).metered.responseId).toBeUndefined();
  });

  it('a file’s content streams through unchanged while each succeeded request of an output file is read, at the batch tier', () => {
    const text = [chatLine('a'), chatLine('b', 500), '{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o"}}', chatLine('d')].join('\n') + '\n';
    const bytes = Buffer.from(text);
    const route: RouteMatch = { api: 'openai.file_content', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'file-out' };
    const run = runTap(openaiAdapter.createTap(route, { ...ctx, contentType: 'application/octet-stream' }), [bytes.subarray(0, 50), bytes.subarray(50, 51), bytes.subarray(51)]);
    expect(run.bytes.equals(bytes)).toBe(true);
    // Every byte went out as it came, before the end.
    expect(run.pushes.slice(0, 3).reduce((n, b) => n + b.length, 0)).toBe(bytes.length);
    expect(run.metered.batch).toEqual({
      batchId: 'file-out',
      api: 'openai.batch_request',
      results: ['a', 'd'].map((customId) => ({
        customId,
        model: 'gpt-4o-mini-2024-07-18',
        serviceTier: 'batch',
        usage: { inputTokens: 120, cacheReadTokens: 64, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 30, reasoningTokens: 5, toolCalls: 1 },
        stored: ['chatcmpl-1'],
      })),
      complete: true,
    });
  });

  it('reads Responses and embeddings bodies by their object, and nothing from failed lines or junk', () => {
    const line = (body: unknown) => JSON.stringify({ id: 'r', custom_id: 'x', response: { status_code: 200, body }, error: null });
    expect(readOutputLine(line({ object: 'response', model: 'gpt-5', status: 'completed', output: [], usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 } } }))).toMatchObject({
      model: 'gpt-5',
      usage: { inputTokens: 10, cacheReadTokens: 4, outputTokens: 7, reasoningTokens: 3 },
    });
    expect(readOutputLine(line({ object: 'list', model: 'text-embedding-3-small', data: [], usage: { prompt_tokens: 9, total_tokens: 9 } }))).toMatchObject({ usage: { inputTokens: 9, outputTokens: 0 } });
    expect(readOutputLine(JSON.stringify({ custom_id: 'x', response: null, error: { code: 'batch_expired', message: 'expired' } }))).toBeUndefined();
    expect(readOutputLine('not json')).toBeUndefined();
  });

  it('names the containers a Response of an output file ran code in, and the tap gives the file those of every line', () => {
    const usage = { input_tokens: 10, output_tokens: 7 };
    const ran = (customId: string, output: unknown[]) => JSON.stringify({ id: 'r', custom_id: customId, response: { status_code: 200, body: { object: 'response', model: 'gpt-5', status: 'completed', output, usage } }, error: null });
    const code = (container: string) => ({ id: `ci_${container}`, type: 'code_interpreter_call', status: 'completed', code: 'print(1)', container_id: container, outputs: null });
    const shell = (container: string) => ({ id: `sh_${container}`, type: 'shell_call', status: 'completed', call_id: 'c', action: { commands: ['ls'] }, environment: { type: 'container_reference', container_id: container } });
    expect(readOutputLine(ran('a', [code('cntr_a'), shell('cntr_b')]))?.containers).toEqual(['cntr_a', 'cntr_b']);
    expect(readOutputLine(ran('b', [{ id: 'msg_1', type: 'message', role: 'assistant', content: [] }]))?.containers).toBeUndefined();
    const text = [ran('a', [code('cntr_a')]), chatLine('c'), ran('b', [code('cntr_a'), shell('cntr_c')])].join('\n') + '\n';
    const route: RouteMatch = { api: 'openai.file_content', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'file-out' };
    expect(runTap(openaiAdapter.createTap(route, { ...ctx, contentType: 'application/octet-stream' }), [Buffer.from(text)]).metered.containers).toEqual(['cntr_a', 'cntr_c']);
  });

  it('names what the provider keeps of each answer: a Response and its items unless it says store false, a chat completion, no embeddings', () => {
    const line = (body: unknown) => JSON.stringify({ id: 'r', custom_id: 'x', response: { status_code: 200, body }, error: null });
    const usage = { input_tokens: 10, output_tokens: 7 };
    const output = [
      { id: 'rs_1', type: 'reasoning', summary: [] },
      { id: 'msg_1', type: 'message', role: 'assistant', content: [] },
    ];
    const response = (store?: boolean) => ({ id: 'resp_1', object: 'response', model: 'gpt-5', status: 'completed', output, usage, ...(store === undefined ? {} : { store }) });
    expect(readOutputLine(line(response(true)))?.stored).toEqual(['resp_1', 'rs_1', 'msg_1']);
    expect(readOutputLine(line(response()))?.stored).toEqual(['resp_1', 'rs_1', 'msg_1']);
    expect(readOutputLine(line(response(false)))?.stored).toBeUndefined();
    expect(readOutputLine(chatLine('c'))?.stored).toEqual(['chatcmpl-1']);
    expect(readOutputLine(line({ object: 'list', model: 'text-embedding-3-small', data: [], usage: { prompt_tokens: 9, total_tokens: 9 } }))?.stored).toBeUndefined();
    expect(readOutputLine(line({ id: 'cmpl-1', object: 'text_completion', model: 'gpt-3.5-turbo-instruct', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))?.stored).toBeUndefined();
  });
});

describe('readInputLine', () => {
  it('reads a request of an input file: its path (no query), body and custom_id', () => {
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions?x=1', body: { model: 'gpt-5', messages: [] } });
    expect(readInputLine(line)).toEqual({ path: '/v1/chat/completions', body: { model: 'gpt-5', messages: [] }, customId: 'a' });
  });

  it('is undefined for a line that is not a request', () => {
    for (const line of ['', 'not json', '[]', '{"url":"/v1/embeddings"}', '{"body":{}}', '{"url":3,"body":{}}', '{"url":"/v1/x","body":[]}']) expect(readInputLine(line)).toBeUndefined();
  });
});
