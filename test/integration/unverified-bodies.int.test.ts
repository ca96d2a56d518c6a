import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

// server.unverified_bodies_mb: the request bodies of callers without a Tollgate key (a provider key
// passed through, or none with auth.anonymous: allow) count against one room while the gateway
// holds them, from their first byte until the provider's answer begins. One that does not fit is
// refused with a 503 gateway_busy; callers with a Tollgate key never count. One client address (behind
// a trusted proxy, the client it names) holds at most a quarter of the room, or one largest body.

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
function chat(key: string, size: number, o: { sendFirst?: number; chunked?: boolean; stream?: boolean; on?: Harness; from?: string } = {}) {
  const body = Buffer.from(JSON.stringify({ model: 'gpt-5', stream: o.stream ?? false, messages: [{ role: 'user', content: 'x'.repeat(size - 100) }] }));
  const { port } = new URL((o.on ?? h).url);
  let req!: ClientRequest;
  const answered = new Promise<{ res: IncomingMessage; text: () => Promise<string> }>((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    if (!o.chunked) headers['content-length'] = body.length;
    if (o.from) headers['x-forwarded-for'] = o.from;
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

const busy = async (c: ReturnType<typeof chat>, says = 'server.unverified_bodies_mb') => {
  const { res, text } = await c.answered;
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  const body = JSON.parse(await text()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('gateway_busy');
  expect(body.error.message).toContain('server.unverified_bodies_mb');
  expect(body.error.message).toContain(says);
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

describe('one client address behind a trusted proxy', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness({ maxBodyBytes: 256 * KB, unverifiedBodiesBytes: 1024 * KB, trustedProxies: { addresses: ['127.0.0.1', '::1'], header: 'x-forwarded-for' } });
  });
  afterAll(() => p.close());

  it('cannot take the whole room: past its quarter it is refused while another address still gets in', async () => {
    const slow = chat('sk-client-a-1', 200 * KB, { sendFirst: 50 * KB, on: p, from: '198.51.100.7' });
    await settle();
    const id = await busy(chat('sk-client-a-2', 200 * KB, { sendFirst: 0, on: p, from: '6.6.6.6, 198.51.100.7' }), 'from this client address');
    expect(await p.row(id)).toMatchObject({ status: 503, outcome: 'rejected', errorType: 'gateway_busy' });
    // The room has space for others: another client behind the same proxy is taken, twice over.
    await ok(chat('sk-client-b-1', 200 * KB, { on: p, from: '203.0.113.9' }));
    await ok(chat('sk-client-c-1', 200 * KB, { on: p, from: '2001:db8::9' }));
    slow.finish();
    await ok(slow);
    // Its body sent, the first client has its share back.
    await ok(chat('sk-client-a-3', 200 * KB, { on: p, from: '198.51.100.7' }));
  });
});

describe('one client address given the whole room (server.unverified_bodies_per_address_mb)', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness({ maxBodyBytes: 256 * KB, unverifiedBodiesBytes: 1024 * KB, unverifiedBodiesPerAddressBytes: 1024 * KB, trustedProxies: { addresses: ['127.0.0.1', '::1'], header: 'x-forwarded-for' } });
  });
  afterAll(() => p.close());

  it('takes its bodies past a quarter of the room, until the room itself is full', async () => {
    // 200 KB held, and 200 KB more: past the default share of 256 KB (a quarter, or one largest body).
    const slow = chat('sk-client-d-1', 200 * KB, { sendFirst: 50 * KB, on: p, from: '198.51.100.7' });
    await settle();
    const second = chat('sk-client-d-2', 200 * KB, { sendFirst: 50 * KB, on: p, from: '198.51.100.7' });
    await settle();
    const third = chat('sk-client-d-3', 200 * KB, { sendFirst: 50 * KB, on: p, from: '198.51.100.7' });
    await settle();
    const fourth = chat('sk-client-d-4', 200 * KB, { sendFirst: 50 * KB, on: p, from: '198.51.100.7' });
    await settle();
    // 800 KB held: a fifth body does not fit in the room, whoever sends it.
    await busy(chat('sk-client-e-1', 250 * KB, { on: p, from: '203.0.113.9' }), 'as it takes at once');
    for (const c of [slow, second, third, fourth]) c.finish();
    for (const c of [slow, second, third, fourth]) await ok(c);
  });
});
