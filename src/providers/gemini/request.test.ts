import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import type { HeaderBag, RouteMatch } from '../types.js';
import { geminiAdapter } from './adapter.js';

const generate = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.6-flash:generateContent')!;
const stream = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.7-pro:streamGenerateContent')!;

describe('Gemini request inspection', () => {
  it('takes the model and streaming from the path, the cap from generationConfig', () => {
    const body = { model: 'ignored', contents: [], generationConfig: { maxOutputTokens: 2048, thinkingConfig: { thinkingBudget: 512 } } };
    expect(geminiAdapter.inspectRequest(generate, body)).toEqual({ model: 'gemini-3.6-flash', stream: false, maxOutputTokens: 2048 });
    expect(geminiAdapter.inspectRequest(stream, { contents: [] })).toEqual({ model: 'gemini-3.7-pro', stream: true });
  });

  it('reads the cap from generationConfig or generation_config, by either field name (proto JSON takes both), the largest of them', () => {
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generation_config: { max_output_tokens: 50 } }).maxOutputTokens).toBe(50);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generation_config: { maxOutputTokens: 60 } }).maxOutputTokens).toBe(60);
    expect(geminiAdapter.inspectRequest(stream, { contents: [], generationConfig: { max_output_tokens: 70 } }).maxOutputTokens).toBe(70);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { maxOutputTokens: 80 }, generation_config: { max_output_tokens: 900 } }).maxOutputTokens).toBe(900);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generation_config: { max_output_tokens: 'many' } }).maxOutputTokens).toBeUndefined();
  });

  it('reads candidateCount from generationConfig or generation_config, by either field name (proto JSON takes both), the most of them', () => {
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { maxOutputTokens: 100, candidateCount: 8 } })).toEqual({ model: 'gemini-3.6-flash', stream: false, maxOutputTokens: 100, choices: 8 });
    expect(geminiAdapter.inspectRequest(stream, { contents: [], generation_config: { candidate_count: 4 } }).choices).toBe(4);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { candidate_count: 3 } }).choices).toBe(3);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generation_config: { candidateCount: '6' } }).choices).toBe(6);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { candidateCount: 2 }, generation_config: { candidateCount: 5 } }).choices).toBe(5);
    expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { candidateCount: 1.2 } }).choices).toBe(2);
    for (const candidateCount of [1, 0, -1, null, 'many']) expect(geminiAdapter.inspectRequest(generate, { contents: [], generationConfig: { candidateCount } }).choices).toBeUndefined();
  });

  it('rejects a body that is not an object', () => {
    expect(() => geminiAdapter.inspectRequest(generate, [{ contents: [] }])).toThrow(GatewayError);
  });

  it('falls back to a body model only when the route has none', () => {
    const bare: RouteMatch = { api: 'gemini.generate', dialect: 'gemini', method: 'POST' };
    expect(geminiAdapter.inspectRequest(bare, { model: 'gemini-3.6-flash' }).model).toBe('gemini-3.6-flash');
    expect(() => geminiAdapter.inspectRequest(bare, {})).toThrow(/"model"/);
  });

  it('never rewrites the body', () => {
    expect(geminiAdapter.rewriteRequest(stream, { model: 'gemini-3.7-pro', stream: true }, Buffer.from('{}'))).toBeUndefined();
  });
});

describe('Gemini credentials', () => {
  it('reads x-goog-api-key, then ?key=, then Bearer', () => {
    expect(geminiAdapter.readCredential({ 'x-goog-api-key': 'AIza-h' }, new URLSearchParams('key=AIza-q'))).toEqual({ key: 'AIza-h', where: 'x-goog-api-key' });
    expect(geminiAdapter.readCredential({ authorization: 'Bearer tg-b' }, new URLSearchParams('alt=sse&key=AIza-q'))).toEqual({ key: 'AIza-q', where: 'query-key' });
    expect(geminiAdapter.readCredential({ authorization: 'Bearer tg-b' }, new URLSearchParams('alt=sse'))).toEqual({ key: 'tg-b', where: 'authorization' });
    expect(geminiAdapter.readCredential({}, new URLSearchParams('key='))).toBeUndefined();
  });

  it('writes the key where the client put it, removing the client key everywhere', () => {
    const headers: HeaderBag = { 'x-goog-api-key': 'tg-client', 'x-goog-api-client': 'google-genai-sdk/3.1.0' };
    const query = new URLSearchParams('alt=sse&key=tg-also');
    geminiAdapter.writeCredential(headers, query, 'AIza-upstream', 'x-goog-api-key');
    expect(headers).toEqual({ 'x-goog-api-key': 'AIza-upstream', 'x-goog-api-client': 'google-genai-sdk/3.1.0' });
    expect(query.toString()).toBe('alt=sse');

    const viaQuery: HeaderBag = {};
    const q2 = new URLSearchParams('key=tg-client&alt=sse');
    geminiAdapter.writeCredential(viaQuery, q2, 'AIza-upstream', 'query-key');
    expect(viaQuery).toEqual({});
    expect(q2.toString()).toBe('alt=sse&key=AIza-upstream');

    const viaBearer: HeaderBag = { authorization: 'Bearer tg-client' };
    geminiAdapter.writeCredential(viaBearer, new URLSearchParams(), 'ya29.token', 'authorization');
    expect(viaBearer).toEqual({ authorization: 'Bearer ya29.token' });
  });

  it('defaults to x-goog-api-key', () => {
    const headers: HeaderBag = {};
    geminiAdapter.writeCredential(headers, new URLSearchParams(), 'AIza-upstream', undefined);
    expect(headers).toEqual({ 'x-goog-api-key': 'AIza-upstream' });
  });
});

describe('renderGeminiError', () => {
  it('renders the Google error shape', () => {
    expect(geminiAdapter.renderError(new GatewayError('invalid_api_key', 'API key not valid.'), 'r1')).toEqual({
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { code: 401, message: 'API key not valid.', status: 'UNAUTHENTICATED' } }),
    });
  });

  it('maps each status to its canonical name', () => {
    const cases = [
      ['invalid_request', 400, 'INVALID_ARGUMENT'],
      ['unknown_route', 404, 'NOT_FOUND'],
      ['internal', 500, 'INTERNAL'],
      ['upstream_unreachable', 502, 'UNAVAILABLE'],
      ['upstream_timeout', 504, 'DEADLINE_EXCEEDED'],
    ] as const;
    for (const [code, status, name] of cases) {
      const out = geminiAdapter.renderError(new GatewayError(code, 'x', { headers: { 'retry-after': '5' } }), 'r');
      expect(out.status).toBe(status);
      expect(out.headers['retry-after']).toBe('5');
      expect(JSON.parse(out.body)).toEqual({ error: { code: status, message: code === 'internal' ? expect.any(String) as unknown : 'x', status: name } });
    }
  });
});
