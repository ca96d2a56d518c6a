import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

// server.unverified_bodies_mb: the request bodies of callers without a Tollgate key (a provider key
// passed through, or none with auth.anonymous: allow) count against one room while the gateway
// holds them, from their first byte until the provider's answer begins. One that does not fit is
// refused with a 503 gateway_busy; callers with a Tollgate key never count.

const KB = 1024;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: 1024 * KB, unverifiedBodiesBytes: 1024 * KB });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

/** A chat request of about `size` bytes, whose body is sent up to `sendFirst` bytes at once and the rest on `finish()`. */
function chat(key: string, size: number, o: { sendFirst?: number; chunked?: boolean; stream?: boolean } = {}) {
  const body = Buffer.from(JSON.stringify({ model: 'gpt-5', stream: o.stream ?? false, messages: [{ role: 'user', content: 'x'.repeat(size - 100) }] }));
  const { port } = new URL(h.url);
  let req!: ClientRequest;
  const answered = new Promise<{ res: IncomingMessage; text: () => Promise<string> }>((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    if (!o.chunked) headers['content-length'] = body.length;
    req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      const ended = new Promise<string>((r) => res.on('end', () => r(text)));
      resolve({ res, text: () => ended });
    });
    req.on('error', reject);
  });
  const first = o.sendFirst ?? body.length;
  req.write(body.subarray(0, first));
  if (first >= body.length) req.end();
  return { answered, finish: () => req.end(body.subarray(first)) };
}

/** Time for the gateway to read a request's head and take its room. */
const settle = () => new Promise((r) => setTimeout(r, 200));

const busy = async (c: ReturnType<typeof chat>) => {
  const { res, text } = await c.answered;
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  const body = JSON.parse(await text()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('gateway_busy');
  expect(body.error.message).toContain('server.unverified_bodies_mb');
  return res.headers['x-tollgate-request-id'] as string;
};

const ok = async (c: ReturnType<typeof chat>) => {
  const { res, text } = await c.answered;
  await text();
  expect(res.statusCode).toBe(200);
};

describe('the bodies of callers without a Tollgate key', () => {
  it('share one room: a sized body that does not fit is refused from its headers, and the room is given back after', async () => {
    const slow = chat('sk-client-own-1', 700 * KB, { sendFirst: 100 * KB });
    await settle();
    const id = await busy(chat('sk-client-own-2', 400 * KB, { sendFirst: 0 }));
    expect(await h.row(id)).toMatchObject({ status: 503, outcome: 'rejected', errorType: 'gateway_busy' });
    // A Tollgate key does not count: its body is taken whatever the room holds.
    await ok(chat(h.key.key, 700 * KB));
    slow.finish();
    await ok(slow);
    await ok(chat('sk-client-own-3', 700 * KB));
    expect(h.fake.requests.map((r) => r.headers.authorization).sort()).toEqual(['Bearer sk-client-own-1', 'Bearer sk-client-own-3', 'Bearer sk-upstream-openai']);
  });

  it('count a chunked body as it comes, refusing it at the chunk that does not fit', async () => {
    const slow = chat('sk-client-own-4', 700 * KB, { sendFirst: 100 * KB });
    await settle();
    const refused = chat('sk-client-own-5', 500 * KB, { chunked: true });
    await busy(refused);
    slow.finish();
    await ok(slow);
  });

  it('are given back once the provider answers, not when a stream ends', async () => {
    h.fake.script({ match: '/v1/chat/completions', chunkDelayMs: 300 });
    const streaming = chat('sk-client-own-6', 700 * KB, { stream: true });
    const { res, text } = await streaming.answered;
    expect(res.statusCode).toBe(200);
    // The stream goes on for a while yet; its body's bytes are free already.
    await ok(chat('sk-client-own-7', 700 * KB));
    expect(res.complete).toBe(false);
    await text();
  });
});
