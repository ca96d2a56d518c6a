import { describe, expect, it } from 'vitest';
import { runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const json: TapContext = { status: 200, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: '' };

function run(method: RouteMatch['method'], api: RouteMatch['api'], bytes: Buffer, resourceId?: string, ctx = json) {
  const r = runTap(openaiAdapter.createTap({ api, dialect: 'openai', method, ...(resourceId === undefined ? {} : { resourceId }) }, ctx), [bytes.subarray(0, 7), bytes.subarray(7)], true);
  expect(r.bytes.equals(bytes)).toBe(true);
  return r;
}

const body = (o: unknown) => Buffer.from(JSON.stringify(o, null, 2));

describe('OpenAI Containers API taps', () => {
  it('gives a created container or container file its id, free; a lookup none', () => {
    const container = { id: 'cntr_1', object: 'container', created_at: 1, status: 'running', name: 'c', expires_after: { anchor: 'last_active_at', minutes: 20 } };
    expect(run('POST', 'openai.containers', body(container)).metered).toMatchObject({ responseId: 'cntr_1', usage: { inputTokens: 0, outputTokens: 0 }, usageSource: 'none' });
    expect(run('GET', 'openai.containers', body(container), 'cntr_1').metered.responseId).toBeUndefined();
    const file = { id: 'cfile_1', object: 'container.file', bytes: 3, container_id: 'cntr_1', created_at: 1, path: '/mnt/data/a.csv', source: 'user' };
    expect(run('POST', 'openai.container_files', body(file), 'cntr_1').metered.responseId).toBe('cfile_1');
    expect(run('GET', 'openai.container_files', body(file), 'cntr_1').metered.responseId).toBeUndefined();
    // An answer of another shape makes nothing.
    expect(run('POST', 'openai.containers', body({ id: 'x', object: 'list' })).metered.responseId).toBeUndefined();
  });

  it('streams a container file content through unread, each chunk at once', () => {
    const bytes = Buffer.from('{"not": "json" ... \x00\x01 a chart');
    const tap = openaiAdapter.createTap({ api: 'openai.container_file_content', dialect: 'openai', method: 'GET', noBody: true, resourceId: 'cntr_1' }, { ...json, contentType: 'application/octet-stream' });
    expect(tap.readsNothing).toBe(true);
    const r = run('GET', 'openai.container_file_content', bytes, 'cntr_1', { ...json, contentType: 'application/octet-stream' });
    expect(r.pushes.map((b) => b.length)).toEqual([7, bytes.length - 7, 0]);
    expect(r.metered).toMatchObject({ usageSource: 'none', error: undefined });
  });

  it('reads a provider error from a failed answer', () => {
    const error = { error: { message: 'Container not found', type: 'invalid_request_error', param: null, code: null } };
    expect(run('GET', 'openai.containers', body(error), 'cntr_1', { ...json, status: 404 }).metered.error).toMatchObject({ type: 'invalid_request_error' });
  });
});
