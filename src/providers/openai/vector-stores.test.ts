import { describe, expect, it } from 'vitest';
import { FREE_APIS } from '../../core/api.js';
import { lookupRoute } from '../registry.js';
import { runTap } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';
import { inspectOpenaiRequest } from './request.js';

const match = (method: string, path: string): RouteMatch => {
  const found = lookupRoute(method, path);
  if (found.kind !== 'match') throw new Error(`${method} ${path}: ${found.kind}`);
  return found.route;
};

describe('the Vector Stores API routes', () => {
  it('serves every path the openai SDK calls, each with the vector store its path names', () => {
    const cases: [string, string, RouteMatch['api'], boolean][] = [
      ['POST', '/v1/vector_stores', 'openai.vector_stores', false],
      ['GET', '/v1/vector_stores', 'openai.vector_stores', true],
      ['GET', '/v1/vector_stores/vs_1', 'openai.vector_stores', true],
      ['POST', '/v1/vector_stores/vs_1', 'openai.vector_stores', false],
      ['DELETE', '/v1/vector_stores/vs_1', 'openai.vector_stores', true],
      ['POST', '/v1/vector_stores/vs_1/search', 'openai.vector_stores', false],
      ['POST', '/v1/vector_stores/vs_1/files', 'openai.vector_store_files', false],
      ['GET', '/v1/vector_stores/vs_1/files', 'openai.vector_store_files', true],
      ['GET', '/v1/vector_stores/vs_1/files/file-1', 'openai.vector_store_files', true],
      ['POST', '/v1/vector_stores/vs_1/files/file-1', 'openai.vector_store_files', false],
      ['DELETE', '/v1/vector_stores/vs_1/files/file-1', 'openai.vector_store_files', true],
      ['GET', '/v1/vector_stores/vs_1/files/file-1/content', 'openai.vector_store_files', true],
      ['POST', '/v1/vector_stores/vs_1/file_batches', 'openai.vector_store_files', false],
      ['GET', '/v1/vector_stores/vs_1/file_batches/vsfb_1', 'openai.vector_store_files', true],
      ['POST', '/v1/vector_stores/vs_1/file_batches/vsfb_1/cancel', 'openai.vector_store_files', true],
      ['GET', '/v1/vector_stores/vs_1/file_batches/vsfb_1/files', 'openai.vector_store_files', true],
    ];
    for (const [method, path, api, noBody] of cases) {
      const r = match(method, path);
      expect(r, `${method} ${path}`).toMatchObject({ api, dialect: 'openai', method });
      expect(r.resourceId, path).toBe(path === '/v1/vector_stores' ? undefined : 'vs_1');
      expect(r.noBody === true, path).toBe(noBody);
      expect(FREE_APIS.has(api)).toBe(true);
    }
  });

  it('refuses a wrong method, and a path whose ids could lead elsewhere upstream', () => {
    expect(lookupRoute('PATCH', '/v1/vector_stores/vs_1')).toEqual({ kind: 'wrong_method', allow: ['GET', 'POST', 'DELETE'] });
    expect(lookupRoute('GET', '/v1/vector_stores/vs_1/search')).toEqual({ kind: 'wrong_method', allow: ['POST'] });
    expect(lookupRoute('DELETE', '/v1/vector_stores/vs_1/file_batches/vsfb_1')).toEqual({ kind: 'wrong_method', allow: ['GET'] });
    for (const path of ['/v1/vector_stores/..', '/v1/vector_stores/vs_1/files/..', '/v1/vector_stores/%2e%2e/files', '/v1/vector_stores/vs_1/files/a%2F..%2F..%2Fb/content', '/v1/vector_stores/vs_1/other/x', '/v1/vector_stores/vs_1/files/f/other', '/v1/vector_stores/vs_1/file_batches/b/content']) {
      expect(lookupRoute('GET', path), path).toEqual({ kind: 'unknown' });
    }
  });

  it('names no model, and takes any body', () => {
    expect(inspectOpenaiRequest(match('POST', '/v1/vector_stores'), { name: 'kb', file_ids: ['file-1'] })).toEqual({ model: '', stream: false });
    expect(inspectOpenaiRequest(match('POST', '/v1/vector_stores/vs_1/search'), { query: 'q' })).toEqual({ model: '', stream: false });
  });
});

describe('the Vector Stores API answers', () => {
  const json: TapContext = { status: 200, contentType: 'application/json', stream: false, injectedStreamUsage: false, requestedModel: '' };
  const run = (method: string, path: string, body: unknown) => {
    const bytes = Buffer.from(JSON.stringify(body, null, 2));
    const r = runTap(openaiAdapter.createTap(match(method, path), json), [bytes], true);
    expect(r.bytes.equals(bytes)).toBe(true);
    return r.metered;
  };
  const store = { id: 'vs_1', object: 'vector_store', created_at: 1, name: 'kb', usage_bytes: 0, file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 }, status: 'completed', last_active_at: 1, metadata: {} };

  it('reads the id of a created vector store, free, and of nothing else', () => {
    expect(run('POST', '/v1/vector_stores', store)).toMatchObject({ responseId: 'vs_1', usage: { inputTokens: 0, outputTokens: 0 } });
    expect(run('POST', '/v1/vector_stores/vs_1', store).responseId).toBeUndefined();
    expect(run('GET', '/v1/vector_stores/vs_1', store).responseId).toBeUndefined();
    const file = { id: 'file-1', object: 'vector_store.file', created_at: 1, usage_bytes: 8, vector_store_id: 'vs_1', status: 'completed', last_error: null };
    expect(run('POST', '/v1/vector_stores/vs_1/files', file)).toMatchObject({ usage: { inputTokens: 0, outputTokens: 0 } });
    expect(run('POST', '/v1/vector_stores/vs_1/files', file).responseId).toBeUndefined();
  });
});
