import { describe, expect, it } from 'vitest';
import { newFacts } from '../metering/build-row.js';
import { lookupRoute } from '../providers/index.js';
import type { RouteMatch } from '../providers/types.js';
import { deletedObjects, lapsedObjects, listsObjects, madeObjects, namedObjects, touchesObjects } from './objects/access.js';

function gemini(method: string, path: string): RouteMatch {
  const found = lookupRoute(method, path, ['gemini']);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

describe('Gemini batches as stored objects', () => {
  const alice = { keyId: 'k-alice', team: 'platform' };
  const create = gemini('POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent');

  it('is named by its path, listed as the caller own, made by its creation, forgotten when deleted or gone', () => {
    for (const [method, path] of [['GET', '/v1beta/batches/b1'], ['DELETE', '/v1beta/batches/b1'], ['POST', '/v1beta/batches/b1:cancel']] as const) {
      expect(namedObjects(gemini(method, path), undefined)).toEqual([{ ids: ['batches/b1'], noun: 'batch' }]);
    }
    expect(listsObjects(gemini('GET', '/v1beta/batches'))).toBe(true);
    expect(touchesObjects(create.api)).toBe(true);
    const made = Object.assign(newFacts('r1', 1000, 'gemini.batches'), { status: 200, responseId: 'batches/b1' });
    expect(madeObjects(made, { owner: alice }, create)).toEqual([{ id: 'batches/b1', api: 'gemini.batches', keyId: 'k-alice', team: 'platform', createdAt: 1000 }]);
    // The file its results were written to is its owner's, whoever of the team looked it up.
    const looked = Object.assign(newFacts('r2', 2000, 'gemini.batches'), { status: 200, responseId: null, batchFiles: ['files/out'] });
    expect(madeObjects(looked, { owner: { keyId: 'k-carol', team: 'platform' }, pathOwner: alice }, gemini('GET', '/v1beta/batches/b1')).map((o) => [o.id, o.keyId])).toEqual([['files/out', 'k-alice']]);
    expect(deletedObjects(gemini('DELETE', '/v1beta/batches/b1'), 200)).toEqual(['batches/b1']);
    expect(deletedObjects(gemini('POST', '/v1beta/batches/b1:cancel'), 200)).toEqual([]);
    expect(lapsedObjects(gemini('GET', '/v1beta/batches/b1'), 404)).toEqual(['batches/b1']);
    expect(lapsedObjects(gemini('POST', '/v1beta/batches/b1:cancel'), 404)).toEqual([]);
  });

  it('its creation names its input file, and the files and caches its inline requests read', () => {
    const part = (id: string) => ({ fileData: { fileUri: `https://generativelanguage.googleapis.com/v1beta/files/${id}`, mimeType: 'application/pdf' } });
    const requests = [
      { request: { contents: [{ role: 'user', parts: [part('a'), { text: 'sum up' }] }], cachedContent: 'cachedContents/c1' } },
      { request: { contents: [{ role: 'user', parts: [part('a')] }], cached_content: 'cachedContents/c2' } },
      { request: { content: { parts: [part('b')] } } },
      { request: { contents: [] } },
    ];
    const body = { batch: { inputConfig: { requests: { requests } } } };
    expect(namedObjects(create, body, Buffer.from(JSON.stringify(body)))).toEqual([
      { ids: ['files/a', 'files/b'], noun: 'file' },
      { ids: ['cachedContents/c1', 'cachedContents/c2'], noun: 'cached content' },
    ]);
    // Bytes that cannot name a file are not looked through for one.
    expect(namedObjects(create, body, Buffer.from('{}'))).toEqual([{ ids: ['cachedContents/c1', 'cachedContents/c2'], noun: 'cached content' }]);
    expect(namedObjects(create, { batch: { inputConfig: { fileName: 'files/in' } } })).toEqual([{ ids: ['files/in'], noun: 'file' }]);
    expect(namedObjects(create, { batch: { inputConfig: { requests: { requests: [] } } } })).toEqual([]);
  });
});
