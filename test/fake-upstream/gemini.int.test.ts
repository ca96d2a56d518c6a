import { request } from 'node:http';
import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from './index.js';

let fake: FakeUpstream;
let ai: GoogleGenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  ai = new GoogleGenAI({ apiKey: 'gm-test', httpOptions: { baseUrl: fake.url } });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const model = 'gemini-3.6-flash';
const usage = { input: 2200, cacheRead: 6000, output: 480, reasoning: 420 };

function post(path: string, body: unknown): Promise<{ status: number; body: Buffer; reads: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), reads: chunks.length }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('generateContent', () => {
  it('returns usageMetadata with cached and thought tokens', async () => {
    fake.script({ usage, text: 'Sunny in Paris.', model: 'gemini-3.6-flash-001' });
    const r = await ai.models.generateContent({ model, contents: 'Weather in Paris?' });
    expect(r.text).toBe('Sunny in Paris.');
    expect(r.modelVersion).toBe('gemini-3.6-flash-001');
    expect(r.usageMetadata).toMatchObject({
      promptTokenCount: 8200,
      cachedContentTokenCount: 6000,
      candidatesTokenCount: 60,
      thoughtsTokenCount: 420,
      totalTokenCount: 8680,
    });
    expect(r.candidates![0]!.finishReason).toBe('STOP');
    const [rec] = await fake.waitForRequests(1);
    expect(rec).toMatchObject({ path: `/v1beta/models/${model}:generateContent`, route: 'gemini.generate' });
    expect(rec!.headers['x-goog-api-key']).toBe('gm-test');
  });

  it('returns function calls named after the declared tools', async () => {
    fake.script({ toolCalls: 2 });
    const tools = [{ functionDeclarations: [{ name: 'get_forecast' }] }];
    const r = await ai.models.generateContent({ model, contents: 'Weather?', config: { tools } });
    expect(r.functionCalls).toEqual([
      { name: 'get_forecast', args: { city: 'Paris' } },
      { name: 'get_forecast', args: { city: 'Lyon' } },
    ]);
  });
});

describe('generateContentStream', () => {
  it('streams CRLF-framed SSE with running-total usage and finishReason on the last chunk', async () => {
    fake.script({ usage, chunks: 4 });
    const chunks = [];
    for await (const c of await ai.models.generateContentStream({ model, contents: 'hi' })) chunks.push(c);
    expect(chunks).toHaveLength(4);
    const candidates = chunks.map((c) => c.usageMetadata?.candidatesTokenCount ?? 0);
    expect(candidates).toEqual([...candidates].sort((a, b) => a - b));
    expect(chunks.at(-1)!.usageMetadata).toMatchObject({ promptTokenCount: 8200, candidatesTokenCount: 60, thoughtsTokenCount: 420, cachedContentTokenCount: 6000 });
    expect(chunks.map((c) => c.candidates?.[0]?.finishReason)).toEqual([undefined, undefined, undefined, 'STOP']);
    const [rec] = await fake.waitForRequests(1);
    expect(rec!.query.alt).toBe('sse');
    expect(rec!.responseHeaders['content-type']).toBe('text/event-stream');
    const events = rec!.sent.toString().split('\r\n\r\n');
    expect(events).toHaveLength(5);
    expect(events[0]).toMatch(/^data: \{"candidates": \[\{"content": \{"parts": \[\{"text": "This"\}\],"role": "model"\}/);
  });

  it('surfaces an in-stream error as ApiError with its code', async () => {
    fake.script({ errorEventAfter: 1 });
    const read = async () => {
      for await (const _ of await ai.models.generateContentStream({ model, contents: 'hi' })) void _;
    };
    const err: unknown = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
  });

  it('without alt=sse streams one JSON array in several pieces with the same elements', async () => {
    fake.script({ usage, chunkDelayMs: 5 }, { usage });
    const array = await post(`/v1beta/models/${model}:streamGenerateContent`, { contents: [] });
    const sse = await post(`/v1beta/models/${model}:streamGenerateContent?alt=sse`, { contents: [] });
    expect(array.reads).toBeGreaterThan(1);
    const elements = JSON.parse(array.body.toString()) as unknown[];
    const events = sse.body.toString().split('\r\n\r\n').filter((e) => e !== '').map((e) => JSON.parse(e.slice(6)) as unknown);
    expect(elements).toEqual(events);
    expect(array.body.toString()).toContain('\n,\r\n{');
    const recs = await fake.waitForRequests(2);
    expect(recs[0]!.sent.equals(array.body)).toBe(true);
  });
});

describe('errors', () => {
  it('maps a 429 to ApiError with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    fake.script({ status: 429 });
    const err: unknown = await ai.models.generateContent({ model, contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    const body = JSON.parse((err as ApiError).message) as { error: { status: string; details: { '@type': string }[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details.map((d) => d['@type'])).toContain('type.googleapis.com/google.rpc.RetryInfo');
  });

  it('wraps errors of the non-SSE stream in the array', async () => {
    fake.script({ status: 503 });
    const r = await post(`/v1beta/models/${model}:streamGenerateContent`, { contents: [] });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body.toString())).toEqual([{ error: { code: 503, message: expect.any(String) as unknown, status: 'UNAVAILABLE' } }]);
  });
});
