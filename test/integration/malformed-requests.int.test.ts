import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';

// Any request a client can send, however malformed, gets an answer: the provider's own, or an
// error of Tollgate's that says what is wrong, never an internal error; the process keeps serving;
// and every request that reached an API route has its ledger row (only unknown routes have none).

let h: Harness;

const PATHS = [
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/models',
  '/v1/messages',
  '/v1/messages/count_tokens?beta=true',
  '/v1beta/models/gemini-2.5-pro:generateContent',
  '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
  '/v1beta/models/:generateContent',
  '/p/openai/v1/chat/completions',
  '/p/nobody/v1/chat/completions',
  '/v1/images/generations',
  '/v1/audio/transcriptions',
  '/v1/batches',
  '/v1/messages/batches',
  '/v1/nothing-here',
  '/%zz',
];

/** Well-formed requests, each on its own API's path: the share of cases that reach the provider. */
const valid: [string, unknown][] = [
  ['/v1/chat/completions', { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }],
  ['/v1/chat/completions', { model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }],
  ['/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }],
  ['/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }],
  ['/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
  ['/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
  ['/v1/responses', { model: 'gpt-5', input: 'hi' }],
  ['/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }],
  // Served translated where a provider of the other dialect takes these models (the second gateway below).
  ['/v1/messages', { model: 'qwen3-coder', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }],
  ['/v1/chat/completions', { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }],
];

/** Bodies a broken or hostile client sends: wrong types in the right places, bad JSON, binary, deep nesting. */
const body = fc.oneof(
  fc.constantFrom(...valid).map(([, b]) => JSON.stringify(b)),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.record({ model: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), messages: fc.jsonValue({ maxDepth: 3 }), stream: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  fc.record({ model: fc.constant('gpt-5'), stream: fc.constant(true), stream_options: fc.jsonValue({ maxDepth: 2 }), messages: fc.constant([]) }).map((b) => JSON.stringify(b)),
  fc.record({ contents: fc.jsonValue({ maxDepth: 3 }), systemInstruction: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n)),
  fc.integer({ min: 1, max: 300_000 }).map((n) => JSON.stringify({ model: 'm'.repeat(n), messages: [] })),
);

/** Where the key goes (or a wrong one), and the extra headers a client may add. */
const auth = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('bearer', 'x-api-key', 'x-goog-api-key', 'query') },
  { weight: 1, arbitrary: fc.constantFrom('none', 'bogus', 'passthrough') },
);
const extra = fc.oneof(
  { weight: 2, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        'content-encoding': fc.constantFrom('gzip', 'br', 'zstd', 'deflate, gzip', 'identity', 'x-unknown'),
        'x-tollgate-tags': fc.oneof(fc.constant('workflow=review,prompt_version=v7'), fc.string({ maxLength: 300 })),
        'x-tollgate-session': fc.string({ maxLength: 300 }),
        'x-tollgate-user': fc.string({ maxLength: 50 }),
        'content-type': fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'multipart/form-data'),
        'anthropic-version': fc.string({ maxLength: 20 }),
      },
      { requiredKeys: [] },
    ),
  },
);
const exchange = fc.oneof(
  // A well-formed request, maybe with odd headers.
  { weight: 2, arbitrary: fc.record({ method: fc.constant('POST'), pair: fc.constantFrom(...valid), auth, extra, gzipped: fc.boolean() }).map(({ pair, ...x }) => ({ ...x, path: pair[0], body: JSON.stringify(pair[1]) })) },
  // Anything on any path.
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') }),
      path: fc.constantFrom(...PATHS),
      auth,
      extra,
      body,
      gzipped: fc.boolean(),
    }),
  },
);

type Exchange = typeof exchange extends fc.Arbitrary<infer T> ? T : never;

/** Header values as HTTP carries them: a string that cannot be sent as is becomes its JSON text. */
const headerValue = (v: string) => (/^[\t\x20-\x7e]*$/.test(v) ? v : JSON.stringify(v).replace(/[^\x20-\x7e]/g, '?'));

async function send(x: Exchange): Promise<{ status: number; id: unknown; text: string; upstreamSaw: boolean }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.extra)) headers[k] = headerValue(v);
  let path = x.path;
  if (x.auth === 'bearer') headers.authorization = `Bearer ${h.key.key}`;
  if (x.auth === 'x-api-key') headers['x-api-key'] = h.key.key;
  if (x.auth === 'x-goog-api-key') headers['x-goog-api-key'] = h.key.key;
  if (x.auth === 'query') path += `${path.includes('?') ? '&' : '?'}key=${h.key.key}`;
  if (x.auth === 'bogus') headers.authorization = 'Bearer tg_not_a_key';
  if (x.auth === 'passthrough') headers.authorization = 'Bearer sk-client-own-key';
  const raw = typeof x.body === 'string' ? Buffer.from(x.body) : x.body;
  const sent = x.gzipped && headers['content-encoding'] === 'gzip' ? gzipSync(raw) : raw;
  const before = h.fake.requests.length;
  const hasBody = x.method !== 'GET';
  const res = await request(h.url + path, { method: x.method as 'POST', headers, body: hasBody ? sent : undefined });
  const text = await res.body.text();
  return { status: res.statusCode, id: res.headers['x-tollgate-request-id'], text, upstreamSaw: h.fake.requests.length > before };
}

describe.each([
  { gateway: 'plain', providers: undefined },
  {
    gateway: 'translating',
    providers: (url: string) => [
      ...defaultProviders(url).map((p) => ({ ...p, models: p.dialect === 'openai' ? ['gpt-*', 'text-*'] : p.dialect === 'anthropic' ? ['claude-opus-*'] : undefined })),
      { name: 'local-qwen', dialect: 'openai' as const, baseUrl: url, apiKey: 'sk-local', models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic' as const] },
      { name: 'claude-for-openai', dialect: 'anthropic' as const, baseUrl: url, apiKey: 'sk-ant-t', models: ['claude-sonnet-*'], headers: {}, catalog: 'anthropic', translateFrom: ['openai' as const] },
    ],
  },
])('malformed requests to a $gateway gateway', ({ providers }) => {
  beforeAll(async () => {
    h = await startHarness({ maxBodyBytes: 256 * 1024, providers });
  });
  afterAll(() => h.close());

  it("always get the provider's answer or a clear error of Tollgate's, and a ledger row once they reached an API", async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(exchange, async (x) => {
        const r = await send(x);
        seen.add(r.status);
        expect(typeof r.id).toBe('string');
        if (r.upstreamSaw) return void (await h.row(String(r.id)));
        // Tollgate's own answer: a 4xx with a readable message, in one of the dialects' error shapes.
        expect(r.status, r.text).toBeGreaterThanOrEqual(400);
        expect(r.status, r.text).toBeLessThan(500);
        const err = (JSON.parse(r.text) as { error: { message?: string } | string; message?: string }).error;
        const message = typeof err === 'string' ? err : (err.message ?? '');
        expect(message.length, r.text).toBeGreaterThan(10);
        // Only a request no API route matched has no row (no money can be involved).
        const routed = !/"(unknown_route|method_not_allowed)"|Tollgate does not serve|not supported on/.test(r.text);
        if (routed) await h.row(String(r.id));
      }),
      { seed: 20261205, numRuns: 300 },
    );
    // Both kinds of answer were exercised: the provider's, and Tollgate's own refusals.
    expect([...seen].some((s) => s < 300)).toBe(true);
    expect([...seen].filter((s) => s >= 400).length).toBeGreaterThan(3);
    const health = await request(`${h.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  }, 60_000);
});
