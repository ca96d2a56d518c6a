import { describe, expect, it } from 'vitest';
import { newFacts } from '../../metering/build-row.js';
import { lookupRoute } from '../../providers/index.js';
import type { RouteMatch } from '../../providers/types.js';
import { deletedObjects, lapsedObjects, listsObjects, madeObjects, namedObjects, touchesObjects } from './access.js';
import { searchedStores, storedFiles } from './vector-stores.js';

function route(method: string, path: string): RouteMatch {
  const found = lookupRoute(method, path, ['openai']);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

const search = (...ids: unknown[]) => ({ type: 'file_search', vector_store_ids: ids });

describe('the vector stores a Responses request searches', () => {
  it('reads each file search tool, in the tools and in the tools its input items give', () => {
    const body = {
      model: 'gpt-5',
      tools: [search('vs_1', 'vs_2'), { type: 'code_interpreter', container: { type: 'auto' } }, search('vs_2')],
      input: [
        { role: 'user', content: 'find it' },
        { type: 'additional_tools', role: 'developer', tools: [search('vs_3')] },
        { type: 'tool_search_output', execution: 'client', tools: [search('vs_4')] },
        // A search already made names no store to search again.
        { type: 'file_search_call', id: 'fs_1', status: 'completed', queries: ['q'], results: [{ file_id: 'file-1', vector_store_id: 'vs_5' }] },
      ],
    };
    expect(searchedStores('openai.responses', body)).toEqual(['vs_1', 'vs_2', 'vs_3', 'vs_4']);
    expect(searchedStores('openai.input_tokens', body)).toEqual(['vs_1', 'vs_2', 'vs_3', 'vs_4']);
    expect(searchedStores('openai.compact', { model: 'gpt-5', input: body.input })).toEqual(['vs_3', 'vs_4']);
    // Chat Completions has no file search tool.
    expect(searchedStores('openai.chat', body)).toEqual([]);
    expect(searchedStores('openai.responses', { tools: [search('', 7, null)], input: 'hi' })).toEqual([]);
    expect(searchedStores('openai.responses', { tools: [{ type: 'file_search' }] })).toEqual([]);
    expect(searchedStores('openai.responses', undefined)).toEqual([]);
  });

  it('names them beside the other objects a request uses, on every Responses endpoint and in a conversation items', () => {
    const body = { model: 'gpt-5', previous_response_id: 'resp_0', input: 'hi', tools: [search('vs_1')] };
    expect(namedObjects(route('POST', '/v1/responses'), body)).toEqual([
      { ids: ['resp_0'], noun: 'response' },
      { ids: ['vs_1'], noun: 'vector store' },
    ]);
    expect(namedObjects(route('POST', '/v1/responses/input_tokens'), { tools: [search('vs_1')] })).toEqual([{ ids: ['vs_1'], noun: 'vector store' }]);
    const items = [{ type: 'additional_tools', role: 'developer', tools: [search('vs_2')] }];
    expect(namedObjects(route('POST', '/v1/responses/compact'), { model: 'gpt-5', input: items })).toEqual([{ ids: ['vs_2'], noun: 'vector store' }]);
    expect(namedObjects(route('POST', '/v1/conversations'), { items })).toEqual([{ ids: ['vs_2'], noun: 'vector store' }]);
    expect(namedObjects(route('POST', '/v1/conversations/conv_1/items'), { items })).toEqual([
      { ids: ['conv_1'], noun: 'conversation' },
      { ids: ['vs_2'], noun: 'vector store' },
    ]);
    expect(namedObjects(route('POST', '/v1/chat/completions'), { model: 'gpt-4o', messages: [], tools: [search('vs_1')] })).toEqual([]);
  });
});

describe('the files a request puts into a vector store', () => {
  it('reads file_ids of a creation, file_id of a file, file_ids and files of a batch', () => {
    expect(storedFiles(route('POST', '/v1/vector_stores'), { name: 'kb', file_ids: ['file-1', 'file-2', ''] })).toEqual(['file-1', 'file-2']);
    expect(storedFiles(route('POST', '/v1/vector_stores/vs_1/files'), { file_id: 'file-1' })).toEqual(['file-1']);
    const batch = { file_ids: ['file-1'], files: [{ file_id: 'file-2', attributes: { a: 1 } }, { file_id: 'file-1' }, 'file-3'] };
    expect(storedFiles(route('POST', '/v1/vector_stores/vs_1/file_batches'), batch)).toEqual(['file-1', 'file-2']);
    // An update names none, nor a search or a lookup.
    expect(storedFiles(route('POST', '/v1/vector_stores/vs_1'), { name: 'x', file_ids: ['file-1'] })).toEqual([]);
    expect(storedFiles(route('POST', '/v1/vector_stores/vs_1/search'), { query: 'q' })).toEqual([]);
    expect(storedFiles(route('GET', '/v1/vector_stores/vs_1/files'), undefined)).toEqual([]);
    expect(storedFiles(route('POST', '/v1/files'), { file_id: 'file-1' })).toEqual([]);
  });

  it('names the store of the path first, then the files', () => {
    expect(namedObjects(route('POST', '/v1/vector_stores'), { file_ids: ['file-1'] })).toEqual([{ ids: ['file-1'], noun: 'file' }]);
    expect(namedObjects(route('POST', '/v1/vector_stores'), { name: 'kb' })).toEqual([]);
    expect(namedObjects(route('POST', '/v1/vector_stores/vs_1/file_batches'), { file_ids: ['file-1'] })).toEqual([
      { ids: ['vs_1'], noun: 'vector store' },
      { ids: ['file-1'], noun: 'file' },
    ]);
  });
});

describe('the vector store a path names', () => {
  const paths: [string, string][] = [
    ['GET', '/v1/vector_stores/vs_1'],
    ['POST', '/v1/vector_stores/vs_1'],
    ['DELETE', '/v1/vector_stores/vs_1'],
    ['POST', '/v1/vector_stores/vs_1/search'],
    ['GET', '/v1/vector_stores/vs_1/files'],
    ['GET', '/v1/vector_stores/vs_1/files/file-1'],
    ['POST', '/v1/vector_stores/vs_1/files/file-1'],
    ['DELETE', '/v1/vector_stores/vs_1/files/file-1'],
    ['GET', '/v1/vector_stores/vs_1/files/file-1/content'],
    ['GET', '/v1/vector_stores/vs_1/file_batches/vsfb_1'],
    ['POST', '/v1/vector_stores/vs_1/file_batches/vsfb_1/cancel'],
    ['GET', '/v1/vector_stores/vs_1/file_batches/vsfb_1/files'],
  ];

  it('is the one every request about it, its files and its file batches is checked against', () => {
    for (const [method, path] of paths) {
      const r = route(method, path);
      expect(touchesObjects(r.api)).toBe(true);
      expect(namedObjects(r, undefined)).toEqual([{ ids: ['vs_1'], noun: 'vector store' }]);
      expect(listsObjects(r)).toBe(false);
    }
    const list = route('GET', '/v1/vector_stores');
    expect(listsObjects(list)).toBe(true);
    expect(namedObjects(list, undefined)).toEqual([]);
  });

  it('is forgotten when deleted or answered 404 for itself, never for one of its files', () => {
    expect(deletedObjects(route('DELETE', '/v1/vector_stores/vs_1'), 200)).toEqual(['vs_1']);
    expect(deletedObjects(route('DELETE', '/v1/vector_stores/vs_1'), 404)).toEqual([]);
    // Taking a file out of a store leaves the store, and the file.
    expect(deletedObjects(route('DELETE', '/v1/vector_stores/vs_1/files/file-1'), 200)).toEqual([]);
    expect(lapsedObjects(route('GET', '/v1/vector_stores/vs_1'), 404)).toEqual(['vs_1']);
    expect(lapsedObjects(route('DELETE', '/v1/vector_stores/vs_1'), 404)).toEqual(['vs_1']);
    for (const [method, path] of paths.filter(([, p]) => p !== '/v1/vector_stores/vs_1')) expect(lapsedObjects(route(method, path), 404)).toEqual([]);
  });

  it('is its creator own from the creation answer, and no update or search makes one', () => {
    const alice = { keyId: 'k-alice', team: 'platform' };
    const facts = (responseId: string | null) => Object.assign(newFacts('r1', 1000, 'openai.vector_stores'), { status: 200, responseId });
    expect(madeObjects(facts('vs_1'), { owner: alice }, route('POST', '/v1/vector_stores'))).toEqual([{ id: 'vs_1', api: 'openai.vector_stores', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    expect(madeObjects(facts(null), { owner: alice, pathOwner: alice }, route('POST', '/v1/vector_stores/vs_1/search'))).toEqual([]);
  });
});
