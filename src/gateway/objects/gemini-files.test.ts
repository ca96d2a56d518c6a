import { describe, expect, it } from 'vitest';
import { newFacts } from '../../metering/build-row.js';
import { lookupRoute } from '../../providers/index.js';
import type { RouteMatch } from '../../providers/types.js';
import { deletedObjects, lapsedObjects, listsObjects, madeObjects, namedObjects, touchesObjects } from './access.js';

function gemini(method: string, path: string): RouteMatch {
  const found = lookupRoute(method, path, ['gemini']);
  if (found.kind !== 'match') throw new Error(`no route for ${method} ${path}`);
  return found.route;
}

describe('Gemini files as stored objects', () => {
  it('reads the file a path names, lists them, forgets one deleted or gone, and records an upload for its uploader, over an owner of its name', () => {
    for (const method of ['GET', 'DELETE']) expect(namedObjects(gemini(method, '/v1beta/files/abc-123'), undefined)).toEqual([{ ids: ['files/abc-123'], noun: 'file' }]);
    const upload = gemini('POST', '/upload/v1beta/files');
    expect(touchesObjects(upload.api)).toBe(true);
    expect(namedObjects(upload, undefined)).toEqual([]);
    expect(namedObjects(gemini('PUT', '/upload/v1beta/files'), undefined)).toEqual([]);
    expect(listsObjects(gemini('GET', '/v1beta/files'))).toBe(true);
    expect(deletedObjects(gemini('DELETE', '/v1beta/files/abc'), 200)).toEqual(['files/abc']);
    expect(lapsedObjects(gemini('GET', '/v1beta/files/abc'), 404)).toEqual(['files/abc']);
    expect(lapsedObjects(gemini('DELETE', '/v1beta/files/abc'), 404)).toEqual(['files/abc']);
    const f = (responseId: string | null) => Object.assign(newFacts('r1', 1000, 'gemini.files'), { status: 200, responseId });
    const alice = { keyId: 'k-alice', team: 'platform' };
    expect(madeObjects(f('files/abc'), { owner: alice }, upload)).toEqual([{ id: 'files/abc', api: 'gemini.files', keyId: 'k-alice', team: 'platform', createdAt: 1000, replaces: true }]);
    expect(madeObjects(f(null), { owner: alice }, upload)).toEqual([]);
    expect(madeObjects(f(null), { owner: alice }, gemini('GET', '/v1beta/files/abc'))).toEqual([]);
  });

  it('reads the files the parts of a generation, a token count, an embedding or a cache name, when the bytes may name one', () => {
    const part = { fileData: { fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc', mimeType: 'application/pdf' } };
    const named = (method: string, path: string, body: unknown) => namedObjects(gemini(method, path), body, Buffer.from(JSON.stringify(body)));
    const file = { ids: ['files/abc'], noun: 'file' };
    expect(named('POST', '/v1beta/models/gemini-2.5-flash:generateContent', { cachedContent: 'cachedContents/c', contents: [{ role: 'user', parts: [{ text: 'hi' }, part] }] })).toEqual([{ ids: ['cachedContents/c'], noun: 'cached content' }, file]);
    expect(named('POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', { contents: [{ parts: [part] }] })).toEqual([file]);
    expect(named('POST', '/v1beta/models/gemini-2.5-flash:countTokens', { generateContentRequest: { model: 'models/gemini-2.5-flash', contents: [{ parts: [part] }] } })).toEqual([file]);
    expect(named('POST', '/v1beta/models/gemini-embedding-2:embedContent', { content: { parts: [part] } })).toEqual([file]);
    expect(named('POST', '/v1beta/models/gemini-embedding-2:batchEmbedContents', { requests: [{ model: 'models/gemini-embedding-2', content: { parts: [part] } }] })).toEqual([file]);
    expect(named('POST', '/v1beta/cachedContents', { model: 'models/gemini-2.5-flash', contents: [{ parts: [part] }] })).toEqual([file]);
    expect(touchesObjects('gemini.embed')).toBe(true);
    // Bytes that hold no fileUri (as parsed here, the body would name one): the parts are not walked.
    expect(namedObjects(gemini('POST', '/v1beta/models/gemini-2.5-flash:generateContent'), { contents: [{ parts: [part] }] }, Buffer.from('{"contents":[]}'))).toEqual([]);
    // A video on YouTube is no file of the Files API.
    expect(named('POST', '/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ parts: [{ fileData: { fileUri: 'https://www.youtube.com/watch?v=9hE5-98ZeCg' } }] }] })).toEqual([]);
  });
});
