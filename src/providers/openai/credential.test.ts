import { describe, expect, it } from 'vitest';
import type { HeaderBag } from '../types.js';
import { openaiAdapter } from './adapter.js';

describe('OpenAI credentials', () => {
  it('reads a Bearer token, whatever the scheme case and spacing', () => {
    const q = new URLSearchParams();
    expect(openaiAdapter.readCredential({ authorization: 'Bearer sk-tg-123' }, q)).toEqual({ key: 'sk-tg-123', where: 'authorization' });
    expect(openaiAdapter.readCredential({ authorization: 'bearer   sk-tg-123 ' }, q)).toEqual({ key: 'sk-tg-123', where: 'authorization' });
  });

  it('finds nothing without a usable Bearer token', () => {
    const q = new URLSearchParams('key=abc');
    expect(openaiAdapter.readCredential({}, q)).toBeUndefined();
    expect(openaiAdapter.readCredential({ authorization: 'Basic dXNlcg==' }, q)).toBeUndefined();
    expect(openaiAdapter.readCredential({ authorization: 'Bearer ' }, q)).toBeUndefined();
    expect(openaiAdapter.readCredential({ 'x-api-key': 'sk-1' }, q)).toBeUndefined();
  });

  it('writes the upstream key as a Bearer token, replacing the client one', () => {
    const headers: HeaderBag = { authorization: 'Bearer sk-tg-client', 'openai-project': 'proj_1' };
    const q = new URLSearchParams('api-version=1');
    openaiAdapter.writeCredential(headers, q, 'sk-upstream', 'authorization');
    expect(headers).toEqual({ authorization: 'Bearer sk-upstream', 'openai-project': 'proj_1' });
    expect(q.toString()).toBe('api-version=1');
  });

  it('uses the default place for an unknown or foreign location', () => {
    const headers: HeaderBag = {};
    openaiAdapter.writeCredential(headers, new URLSearchParams(), 'sk-upstream', undefined);
    expect(headers).toEqual({ authorization: 'Bearer sk-upstream' });
    openaiAdapter.writeCredential(headers, new URLSearchParams(), 'sk-2', 'x-goog-api-key');
    expect(headers).toEqual({ authorization: 'Bearer sk-2' });
  });
});
