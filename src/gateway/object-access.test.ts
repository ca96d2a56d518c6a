import { describe, expect, it } from 'vitest';
import { lookupRoute } from '../providers/index.js';
import { newFacts } from '../metering/build-row.js';
import type { Dialect } from '../core/api.js';
import type { RouteMatch } from '../providers/types.js';
import { listsObjects, madeObjects, namedObjects, touchesObjects } from './object-access.js';

function route(method: string, path: string, dialect: Dialect = 'openai'): RouteMatch {
  const found = lookupRoute(method, path, [dialect]);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

describe('the stored objects a request names', () => {
  it('reads the id its path names, for every request about one object', () => {
    const cases: [string, string, Dialect, string][] = [
      ['GET', '/v1/responses/resp_1', 'openai', 'resp_1'],
      ['DELETE', '/v1/responses/resp_1', 'openai', 'resp_1'],
      ['POST', '/v1/responses/resp_1/cancel', 'openai', 'resp_1'],
      ['GET', '/v1/responses/resp_1/input_items', 'openai', 'resp_1'],
      ['GET', '/v1/files/file-1', 'openai', 'file-1'],
      ['DELETE', '/v1/files/file-1', 'openai', 'file-1'],
      ['GET', '/v1/files/file-1/content', 'openai', 'file-1'],
      ['GET', '/v1/batches/batch_1', 'openai', 'batch_1'],
      ['POST', '/v1/batches/batch_1/cancel', 'openai', 'batch_1'],
      ['GET', '/v1/messages/batches/msgbatch_1', 'anthropic', 'msgbatch_1'],
      ['DELETE', '/v1/messages/batches/msgbatch_1', 'anthropic', 'msgbatch_1'],
      ['POST', '/v1/messages/batches/msgbatch_1/cancel', 'anthropic', 'msgbatch_1'],
      ['GET', '/v1/messages/batches/msgbatch_1/results', 'anthropic', 'msgbatch_1'],
      ['GET', '/v1/files/file_1', 'anthropic', 'file_1'],
      ['GET', '/v1/files/file_1/content', 'anthropic', 'file_1'],
      ['GET', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
      ['PATCH', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
      ['DELETE', '/v1beta/cachedContents/abc', 'gemini', 'cachedContents/abc'],
    ];
    for (const [method, path, dialect, id] of cases) {
      const r = route(method, path, dialect);
      expect(touchesObjects(r.api)).toBe(true);
      expect(namedObjects(r, undefined)?.ids).toEqual([id]);
      expect(listsObjects(r)).toBe(false);
    }
  });

  it('reads the top-level references of a body: a follow-up, a batch input file, a Gemini cache', () => {
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5', previous_response_id: 'resp_0' })).toEqual({ ids: ['resp_0'], noun: 'response' });
    expect(namedObjects(route('POST', '/v1/responses'), { model: 'gpt-5' })).toBeUndefined();
    expect(namedObjects(route('POST', '/v1/batches'), { input_file_id: 'file-in', endpoint: '/v1/chat/completions' })).toEqual({ ids: ['file-in'], noun: 'file' });
    const gen = route('POST', '/v1beta/models/gemini-2.5-flash:generateContent', 'gemini');
    expect(namedObjects(gen, { cachedContent: 'cachedContents/abc', contents: [] })?.ids).toEqual(['cachedContents/abc']);
    // Protobuf JSON takes the field name as written in the proto too.
    expect(namedObjects(gen, { cached_content: 'cachedContents/abc', contents: [] })?.ids).toEqual(['cachedContents/abc']);
    expect(namedObjects(gen, { contents: [] })).toBeUndefined();
  });

  it('leaves ordinary requests alone, and tells the lists apart', () => {
    for (const [method, path, dialect] of [['POST', '/v1/chat/completions', 'openai'], ['POST', '/v1/messages', 'anthropic'], ['POST', '/v1/embeddings', 'openai']] as const) {
      expect(touchesObjects(route(method, path, dialect).api)).toBe(false);
    }
    for (const [path, dialect] of [['/v1/files', 'openai'], ['/v1/batches', 'openai'], ['/v1/messages/batches', 'anthropic'], ['/v1/files', 'anthropic'], ['/v1beta/cachedContents', 'gemini']] as const) {
      const r = route('GET', path, dialect);
      expect(listsObjects(r)).toBe(true);
      expect(namedObjects(r, undefined)).toBeUndefined();
    }
  });
});

describe('the stored objects a finished request made', () => {
  const alice = { keyId: 'k-alice', team: 'platform' };
  const facts = (api: Parameters<typeof newFacts>[2], o: { status: number; responseId: string | null; batchFiles?: string[] }) => Object.assign(newFacts('r1', 1000, api), o);

  it('records the object its answer created, never one of an error answer or of an API that makes none', () => {
    expect(madeObjects(facts('openai.files', { status: 200, responseId: 'file-1' }), alice, undefined)).toEqual([{ id: 'file-1', api: 'openai.files', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    expect(madeObjects(facts('openai.files', { status: 400, responseId: 'file-1' }), alice, undefined)).toEqual([]);
    expect(madeObjects(facts('openai.chat', { status: 200, responseId: 'chatcmpl-1' }), alice, undefined)).toEqual([]);
  });

  it('gives the files a batch answer names to the batch owner, once it is known', () => {
    const bob = { keyId: 'k-bob', team: 'platform' };
    const f = facts('openai.batches', { status: 200, responseId: null, batchFiles: ['file-out', 'file-err'] });
    expect(madeObjects(f, bob, alice).map((o) => [o.id, o.keyId])).toEqual([['file-out', 'k-alice'], ['file-err', 'k-alice']]);
    expect(madeObjects(f, bob, undefined)).toEqual([]);
  });
});
