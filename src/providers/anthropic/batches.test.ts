import { describe, expect, it } from 'vitest';
import { fixtures, runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { anthropicAdapter } from './adapter.js';
import { JsonlLines } from '../shared/batch-results-tap.js';
import { messageBatchParams, readResultLine, rewriteResultsUrls } from './batches.js';
import { lookupAnthropicRoute } from './routes.js';

const fixture = fixtures(import.meta.url);
const ctx: TapContext = { status: 200, contentType: 'application/binary', stream: false, injectedStreamUsage: false, requestedModel: '' };
const results: RouteMatch = { api: 'anthropic.batch_results', dialect: 'anthropic', method: 'GET', noBody: true, resourceId: 'msgbatch_01X' };
const batches: RouteMatch = { api: 'anthropic.batches', dialect: 'anthropic', method: 'GET', noBody: true };

describe('Message Batches routes', () => {
  it('serves create, list, retrieve, cancel, delete and results, with the batch id', () => {
    const api = (method: string, path: string) => {
      const l = lookupAnthropicRoute(method, path);
      return l.kind === 'match' ? [l.route.api, l.route.resourceId, l.route.noBody === true] : l.kind;
    };
    expect(api('POST', '/v1/messages/batches')).toEqual(['anthropic.batches', undefined, false]);
    expect(api('GET', '/v1/messages/batches')).toEqual(['anthropic.batches', undefined, true]);
    expect(api('GET', '/v1/messages/batches/msgbatch_1')).toEqual(['anthropic.batches', 'msgbatch_1', true]);
    expect(api('DELETE', '/v1/messages/batches/msgbatch_1')).toEqual(['anthropic.batches', 'msgbatch_1', true]);
    expect(api('POST', '/v1/messages/batches/msgbatch_1/cancel')).toEqual(['anthropic.batches', 'msgbatch_1', true]);
    expect(api('GET', '/v1/messages/batches/msgbatch_1/results')).toEqual(['anthropic.batch_results', 'msgbatch_1', true]);
    expect(api('POST', '/v1/messages/batches/msgbatch_1')).toBe('wrong_method');
    expect(api('GET', '/v1/messages/batches/')).toBe('unknown');
    expect(api('GET', '/v1/messages/batches/a/b')).toBe('unknown');
    expect(api('GET', '/v1/messages/batches/a/results/x')).toBe('unknown');
  });

  it('a batch creation names no model of its own', () => {
    const create: RouteMatch = { api: 'anthropic.batches', dialect: 'anthropic', method: 'POST' };
    expect(anthropicAdapter.inspectRequest(create, { requests: [{ custom_id: 'a', params: { model: 'claude-sonnet-5-5' } }] })).toEqual({ model: '', stream: false });
  });
});

describe('results_url rewrite', () => {
  it('points a batch’s results_url, and each of a list’s, at the gateway, and changes nothing else', () => {
    const one = '{"id":"msgbatch_1","type":"message_batch","results_url":"https://api.anthropic.com/v1/messages/batches/msgbatch_1/results","x":1}';
    expect(rewriteResultsUrls(one, 'http://gw:4000/p/claude')).toBe(one.replace('https://api.anthropic.com', 'http://gw:4000/p/claude'));
    const list = `{"data":[${one},${one.replace(/msgbatch_1/g, 'msgbatch_2').replace('api.anthropic.com', 'proxy.example/anthropic')},{"results_url": null}],"has_more":false}`;
    expect(rewriteResultsUrls(list, 'http://gw')).toBe(
      `{"data":[${one.replace('https://api.anthropic.com', 'http://gw')},${one.replace(/msgbatch_1/g, 'msgbatch_2').replace('https://api.anthropic.com', 'http://gw')},{"results_url": null}],"has_more":false}`,
    );
  });

  it('the batch tap emits the rewritten body at the end (no content-length is kept for it), and an error body as it came', () => {
    const body = Buffer.from('{"id":"msgbatch_1","results_url":"https://api.anthropic.com/v1/messages/batches/msgbatch_1/results"}');
    const run = runTap(anthropicAdapter.createTap(batches, { ...ctx, contentType: 'application/json', gatewayBase: 'http://127.0.0.1:9' }), [body.subarray(0, 10), body.subarray(10)]);
    expect(run.bytes.toString()).toBe('{"id":"msgbatch_1","results_url":"http://127.0.0.1:9/v1/messages/batches/msgbatch_1/results"}');
    expect(run.pushes.slice(0, 2).every((b) => b.length === 0)).toBe(true);
    const error = Buffer.from('{"type":"error","error":{"type":"not_found_error","message":"no"}}');
    const failed = runTap(anthropicAdapter.createTap(batches, { ...ctx, status: 404, gatewayBase: 'http://gw' }), [error]);
    expect(failed.bytes.equals(error)).toBe(true);
    expect(failed.metered.error?.type).toBe('not_found_error');
  });
});

describe('a batch creation’s row', () => {
  const body = Buffer.from('{"id":"msgbatch_1","type":"message_batch","processing_status":"in_progress","results_url":null}');
  const create: RouteMatch = { api: 'anthropic.batches', dialect: 'anthropic', method: 'POST' };

  it('takes the batch’s id as its response id, with or without a gateway base, and only for a create', () => {
    for (const gatewayBase of ['http://gw', undefined]) {
      const run = runTap(anthropicAdapter.createTap(create, { ...ctx, contentType: 'application/json', gatewayBase }), [body.subarray(0, 7), body.subarray(7)]);
      expect(run.bytes.equals(body)).toBe(true);
      expect(run.metered).toMatchObject({ responseId: 'msgbatch_1', usageSource: 'none' });
    }
    const retrieve = { ...batches, resourceId: 'msgbatch_1' };
    expect(runTap(anthropicAdapter.createTap(retrieve, { ...ctx, gatewayBase: 'http://gw' }), [body]).metered.responseId).toBeUndefined();
    // Cut short, or not a batch: no id.
    expect(runTap(anthropicAdapter.createTap(create, { ...ctx, gatewayBase: 'http://gw' }), [body.subarray(0, 20)], false).metered.responseId).toBeUndefined();
    expect(runTap(anthropicAdapter.createTap(create, { ...ctx, gatewayBase: 'http://gw' }), [Buffer.from('{"id":"x","type":"error"}')]).metered.responseId).toBeUndefined();
  });
});

describe('Message Batch results tap', () => {
  it('forwards the bytes unchanged and keeps each succeeded result’s usage, read as a Message’s', () => {
    const body = fixture('batch-results.jsonl');
    const run = runTap(anthropicAdapter.createTap(results, ctx), [body]);
    expect(run.bytes.equals(body)).toBe(true);
    expect(run.metered.usageSource).toBe('none');
    expect(run.metered.batch).toEqual({
      batchId: 'msgbatch_01X',
      api: 'anthropic.batch_message',
      results: [
        {
          customId: 'ok-1',
          model: 'claude-sonnet-5-5',
          serviceTier: 'batch',
          usage: { inputTokens: 170, cacheReadTokens: 40, cacheWriteTokens: 30, cacheWrite1hTokens: 10, outputTokens: 50, reasoningTokens: 0, toolCalls: 1 },
        },
        {
          customId: 'ok-5',
          model: 'claude-haiku-5-5',
          serviceTier: 'batch',
          usage: { inputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 3, reasoningTokens: 0, toolCalls: 0 },
        },
      ],
      complete: true,
    });
  });

  it('reads a last line without its newline, and not one cut short; says whether the results were read to their end', () => {
    const lines = fixture('batch-results.jsonl').toString('utf8').trimEnd();
    const whole = runTap(anthropicAdapter.createTap(results, ctx), [Buffer.from(lines)]).metered.batch;
    expect(whole?.results.map((r) => r.customId)).toEqual(['ok-1', 'ok-5']);
    expect(whole?.complete).toBe(true);
    const cut = runTap(anthropicAdapter.createTap(results, ctx), [Buffer.from(lines.slice(0, lines.length - 5))], false).metered.batch;
    expect(cut?.results.map((r) => r.customId)).toEqual(['ok-1']);
    expect(cut?.complete).toBe(false);
  });

  it('a succeeded line without a service tier is taken as batch; other lines and junk are not results', () => {
    expect(readResultLine('{"custom_id":"a","result":{"type":"succeeded","message":{"model":"m","usage":{"input_tokens":1,"output_tokens":2}}}}')).toMatchObject({ customId: 'a', serviceTier: 'batch' });
    expect(readResultLine('not json')).toBeUndefined();
    expect(readResultLine('{"result":{"type":"succeeded","message":{}}}')).toBeUndefined();
    expect(readResultLine('{"custom_id":"b","result":{"type":"errored"}}')).toBeUndefined();
  });

  it('names the container a succeeded Message ran code in, and the results tap those of every result', () => {
    const line = (customId: string, container: unknown) => JSON.stringify({ custom_id: customId, result: { type: 'succeeded', message: { model: 'm', container, usage: { input_tokens: 1, output_tokens: 2 } } } });
    expect(readResultLine(line('a', { id: 'container_1', expires_at: '2026-12-07T12:00:00Z' }))?.containers).toEqual(['container_1']);
    expect(readResultLine(line('b', null))?.containers).toBeUndefined();
    const text = [line('a', { id: 'container_1' }), line('b', null), line('c', { id: 'container_2' }), line('d', { id: 'container_1' })].join('\n');
    expect(runTap(anthropicAdapter.createTap(results, ctx), [Buffer.from(text)]).metered.containers).toEqual(['container_1', 'container_2']);
  });

  it('JsonlLines holds only the line in progress, never a view into a pushed chunk', () => {
    const seen: string[] = [];
    const lines = new JsonlLines((l) => seen.push(l));
    const chunk = Buffer.from('{"a":1}\n{"b":');
    lines.push(chunk);
    chunk.fill(0x20);
    lines.push(Buffer.from('2}\r\n\n{"c":3}'));
    lines.end();
    expect(seen).toEqual(['{"a":1}', '{"b":2}\r', '{"c":3}']);
  });
});

describe('messageBatchParams', () => {
  it('reads each request’s params, leaving out what is not a request', () => {
    const params = { model: 'claude-x', max_tokens: 10, messages: [] };
    expect(messageBatchParams({ requests: [{ custom_id: 'a', params }, { custom_id: 'b' }, 'x', null, { custom_id: 'c', params: [] }] })).toEqual([params]);
  });

  it('is empty for a body without requests', () => {
    for (const body of [undefined, null, {}, { requests: {} }, []]) expect(messageBatchParams(body)).toEqual([]);
  });
});
