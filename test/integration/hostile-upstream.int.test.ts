import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

// Whatever an upstream sends (real answers cut anywhere, garbage, binary, long lines, error events,
// any status or content type, a connection dropped mid-body), the client gets exactly the bytes it
// sent, in order, and the request has its ledger row with the upstream's status.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const fixture = (dialect: string, name: string) => readFileSync(new URL(`../../src/providers/${dialect}/fixtures/${name}`, import.meta.url));

/** Requests whose answers reach the client unchanged (an OpenAI chat stream asks for usage itself: no rewrite). */
const cases = [
  { path: '/v1/chat/completions', body: { model: 'gpt-5', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }, real: [fixture('openai', 'chat-stream-usage.sse'), fixture('openai', 'chat-stream-error.sse')] },
  { path: '/v1/chat/completions', body: { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }, real: [fixture('openai', 'chat.json'), fixture('openai', 'error-rate-limit.json')] },
  { path: '/v1/responses', body: { model: 'gpt-5', stream: true, input: 'hi' }, real: [fixture('openai', 'responses-stream.sse'), fixture('openai', 'responses-stream-failed.sse')] },
  { path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hi' }, real: [fixture('openai', 'embeddings.json')] },
  { path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }, real: [fixture('anthropic', 'message-stream.sse'), fixture('anthropic', 'message-stream-overloaded.sse')] },
  { path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, real: [fixture('anthropic', 'message.json')] },
  { path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, real: [fixture('gemini', 'stream.sse'), fixture('gemini', 'stream-error.sse')] },
  { path: '/v1beta/models/gemini-2.5-pro:streamGenerateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, real: [fixture('gemini', 'stream-array.json'), fixture('gemini', 'stream-array-error.json')] },
  { path: '/v1beta/models/gemini-2.5-pro:generateContent', body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, real: [fixture('gemini', 'generate.json')] },
];

/** A real answer cut into pieces at arbitrary points, with some pieces replaced or joined by junk. */
/** Every usage count of an answer, as each API names it. */
const COUNTS = /"(prompt_tokens|completion_tokens|total_tokens|cached_tokens|reasoning_tokens|input_tokens|output_tokens|cache_read_input_tokens|cache_creation_input_tokens|promptTokenCount|candidatesTokenCount|totalTokenCount|cachedContentTokenCount|thoughtsTokenCount)":\s*\d+/g;
/** What a broken server writes where a count goes. */
const oddCount = fc.constantFrom('-5', '1.5', '1e300', '"12"', 'null', '9007199254740993', '{}', '[]', 'true');

/** A real answer whose usage counts a broken server got wrong, or left as they were. */
const tampered = (real: readonly Buffer[]) =>
  fc.tuple(fc.constantFrom(...real), fc.option(oddCount, { nil: undefined, freq: 3 })).map(([source, odd]) => (odd === undefined ? source : Buffer.from(source.toString().replace(COUNTS, `"$1":${odd}`))));

const piecesOf = (real: readonly Buffer[]) =>
  fc
    .record({
      source: tampered(real),
      cuts: fc.uniqueArray(fc.nat(4096), { maxLength: 8 }),
      junk: fc.array(
        fc.record({
          at: fc.nat(8),
          bytes: fc.oneof(
            fc.string({ maxLength: 80 }).map((s) => Buffer.from(s)),
            fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
            fc.json({ maxDepth: 3 }).map((j) => Buffer.from(`data: ${j}\n\n`)),
            fc.constantFrom('\r\n', ':\n\n', 'data: {"usage":', 'event: error\n', 'data: [DONE]\n\n', '\n\n\n').map((s) => Buffer.from(s)),
            fc.integer({ min: 1, max: 200_000 }).map((n) => Buffer.from(`data: ${'x'.repeat(n)}\n\n`)),
          ),
        }),
        { maxLength: 3 },
      ),
      truncate: fc.option(fc.nat(4096), { nil: undefined }),
    })
    .map(({ source, cuts, junk, truncate }) => {
      const bytes = truncate === undefined ? source : source.subarray(0, truncate);
      const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let from = 0;
      for (const c of [...at, bytes.length]) {
        if (c > from) pieces.push(bytes.subarray(from, c));
        from = c;
      }
      for (const j of junk) pieces.splice(j.at % (pieces.length + 1), 0, j.bytes);
      return pieces.filter((p) => p.length > 0);
    });

const answer = fc.integer({ min: 0, max: cases.length - 1 }).chain((i) =>
  fc.record({
    i: fc.constant(i),
    pieces: piecesOf(cases[i]!.real),
    status: fc.oneof({ weight: 4, arbitrary: fc.constant(200) }, { weight: 1, arbitrary: fc.constantFrom(201, 206, 299) }),
    contentType: fc.constantFrom<string | null>('text/event-stream', 'text/event-stream; charset=utf-8', 'application/json', 'text/plain', null),
    encoding: fc.oneof({ weight: 5, arbitrary: fc.constant<string | null>(null) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'br', 'x-unknown') }),
    cutAfter: fc.option(fc.nat(10), { nil: undefined }),
    spaced: fc.boolean(),
  }),
);

async function exchange(x: typeof answer extends fc.Arbitrary<infer T> ? T : never) {
  const c = cases[x.i]!;
  const headers: Record<string, string | null> = { 'content-type': x.contentType };
  if (x.encoding !== null) headers['content-encoding'] = x.encoding;
  h.fake.script({ status: x.status, headers, events: x.pieces, cutAfterEvents: x.cutAfter, chunkDelayMs: x.spaced ? 1 : undefined });
  const before = h.fake.requests.length;
  const got: Buffer[] = [];
  let res: Awaited<ReturnType<typeof request>> | undefined;
  let cut = false;
  try {
    res = await request(h.url + c.path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key.key}` }, body: JSON.stringify(c.body) });
    for await (const b of res.body) got.push(b as Buffer);
  } catch {
    // The upstream dropped the connection: before any byte of the body, the client's closes unanswered.
    cut = true;
  }
  await h.fake.waitForRequests(before + 1);
  return { res, body: Buffer.concat(got), cut, sent: h.fake.requests[before]! };
}

describe('a hostile upstream', () => {
  it('reaches the client byte for byte, and every request keeps its row', async () => {
    let cuts = 0;
    let whole = 0;
    await fc.assert(
      fc.asyncProperty(answer, async (x) => {
        await h.mark();
        const { res, body, cut, sent } = await exchange(x);
        if (cut) expect(sent.outcome).toBe('cut');
        if (sent.outcome === 'cut') {
          cuts++;
          // The client got a prefix of what was sent, then the cut.
          expect(sent.sent.subarray(0, body.length).equals(body)).toBe(true);
        } else {
          whole++;
          expect(body.equals(sent.sent)).toBe(true);
        }
        // One row, whether or not the answer reached the client.
        const rows = await h.rows();
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        if (res) {
          expect(res.statusCode).toBe(sent.status);
          expect(res.headers['x-tollgate-request-id']).toBe(row.id);
        }
        expect(row.status).toBe(sent.status);
        if (sent.outcome === 'cut') expect(row.outcome).toBe('truncated');
        for (const n of [row.inputTokens, row.outputTokens, row.cacheReadTokens, row.cacheWriteTokens, row.reasoningTokens, row.toolCalls]) expect(Number.isSafeInteger(n) && n >= 0, String(n)).toBe(true);
        expect(row.costPicos === null || (row.costPicos >= 0n && row.costPicos < 2n ** 63n), String(row.costPicos)).toBe(true);
      }),
      { seed: 20261205, numRuns: 150 },
    );
    expect(cuts).toBeGreaterThan(5);
    expect(whole).toBeGreaterThan(50);
    const health = await request(`${h.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  }, 120_000);
});

// Translated routes rebuild the answer in the client's dialect, so its bytes differ by design:
// whatever the provider sends, the client gets an answer (or, for a body that cannot be
// translated, a 502 in its own dialect), and the request exactly one row, on the translating provider.
describe('a hostile upstream behind a translated route', () => {
  let t: Harness;
  const translated = [
    { path: '/v1/messages', body: { model: 'qwen3-coder', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }, provider: 'local-qwen', real: [fixture('openai', 'chat-stream-usage.sse'), fixture('openai', 'chat-stream-error.sse')] },
    { path: '/v1/messages', body: { model: 'qwen3-coder', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, provider: 'local-qwen', real: [fixture('openai', 'chat.json'), fixture('openai', 'error-rate-limit.json')] },
    { path: '/v1/chat/completions', body: { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }, provider: 'claude-for-openai', real: [fixture('anthropic', 'message-stream.sse'), fixture('anthropic', 'message-stream-overloaded.sse')] },
    { path: '/v1/chat/completions', body: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }, provider: 'claude-for-openai', real: [fixture('anthropic', 'message.json')] },
  ];
  beforeAll(async () => {
    t = await startHarness({
      providers: (url) => [
        { name: 'local-qwen', dialect: 'openai', baseUrl: url, apiKey: 'sk-local', models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic'] },
        { name: 'claude-for-openai', dialect: 'anthropic', baseUrl: url, apiKey: 'sk-ant-t', models: ['claude-*'], headers: {}, catalog: 'anthropic', translateFrom: ['openai'] },
      ],
    });
  });
  afterAll(() => t.close());

  const translatedAnswer = fc.integer({ min: 0, max: translated.length - 1 }).chain((i) =>
    fc.record({ i: fc.constant(i), pieces: piecesOf(translated[i]!.real), cutAfter: fc.option(fc.nat(10), { nil: undefined }), spaced: fc.boolean() }),
  );

  it('still answers the client, and every request keeps exactly one row', async () => {
    await fc.assert(
      fc.asyncProperty(translatedAnswer, async (x) => {
        const c = translated[x.i]!;
        await t.mark();
        t.fake.script({ events: x.pieces, cutAfterEvents: x.cutAfter, chunkDelayMs: x.spaced ? 1 : undefined });
        let status: number | undefined;
        let text = '';
        try {
          const res = await request(t.url + c.path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key.key}` }, body: JSON.stringify(c.body) });
          status = res.statusCode;
          text = await res.body.text();
        } catch {
          // The provider's connection dropped: so did the client's.
        }
        if (status !== undefined && status >= 300) {
          expect(status, text).toBe(502);
          const err = JSON.parse(text) as { error: { message?: string } };
          expect(err.error.message?.length ?? 0, text).toBeGreaterThan(10);
        }
        const rows = await t.rows();
        expect(rows).toHaveLength(1);
        expect(rows[0]!.provider).toBe(c.provider);
        for (const n of [rows[0]!.inputTokens, rows[0]!.outputTokens, rows[0]!.cacheReadTokens, rows[0]!.cacheWriteTokens]) expect(Number.isSafeInteger(n) && n >= 0, String(n)).toBe(true);
      }),
      { seed: 20261205, numRuns: 100 },
    );
    const health = await request(`${t.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  }, 120_000);
});
