import { describe, expect, it } from 'vitest';
import { cachedContentName, modelOf, readCachedContent } from './caches.js';

describe('readCachedContent', () => {
  it('records the tokens a created cache holds as input written to a cache, and its name and model', () => {
    const body = JSON.stringify({ name: 'cachedContents/abc', model: 'models/gemini-2.5-flash', expireTime: '2026-12-04T18:00:00Z', usageMetadata: { totalTokenCount: 48000 } });
    const m = readCachedContent(body, true);
    expect(m).toMatchObject({ usageSource: 'final', servedModel: 'gemini-2.5-flash', responseId: 'cachedContents/abc', sawEnd: true, error: undefined });
    expect(m.usage).toMatchObject({ inputTokens: 48000, cacheWriteTokens: 48000, outputTokens: 0, cacheReadTokens: 0 });
  });

  it('without a count, or with a bad one, records no usage; an error body is the error', () => {
    expect(readCachedContent(JSON.stringify({ name: 'cachedContents/x' }), true)).toMatchObject({ usageSource: 'none', usage: { inputTokens: 0 } });
    expect(readCachedContent(JSON.stringify({ usageMetadata: { totalTokenCount: -3 } }), true).usageSource).toBe('none');
    expect(readCachedContent(JSON.stringify({ usageMetadata: { totalTokenCount: 1.5 } }), true).usageSource).toBe('none');
    const err = readCachedContent(JSON.stringify({ error: { code: 400, message: 'Cached content is too small.', status: 'INVALID_ARGUMENT' } }), true);
    expect(err.error).toMatchObject({ type: 'INVALID_ARGUMENT' });
    expect(readCachedContent(undefined, false)).toMatchObject({ usageSource: 'none', sawEnd: false });
  });

  it('names a model as a generateContent path does', () => {
    expect(modelOf('models/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(modelOf('tunedModels/t1')).toBe('tunedModels/t1');
    expect(modelOf(undefined)).toBeUndefined();
  });
});

describe('the explicit Gemini cache a request names', () => {
  it('is found in Gemini’s cachedContent, and in google.cached_content as the OpenAI-compatible endpoint takes it', () => {
    expect(cachedContentName({ contents: [], cachedContent: 'cachedContents/abc' })).toBe('cachedContents/abc');
    expect(cachedContentName({ cached_content: 'cachedContents/abc' })).toBe('cachedContents/abc');
    expect(cachedContentName({ messages: [], google: { cached_content: 'cachedContents/abc' } })).toBe('cachedContents/abc');
    expect(cachedContentName({ messages: [], extra_body: { google: { cached_content: 'cachedContents/abc' } } })).toBe('cachedContents/abc');
    for (const json of [{}, { cachedContent: '' }, { cachedContent: 3 }, { google: 'x' }, null, 'cachedContent']) expect(cachedContentName(json)).toBeUndefined();
  });
});
