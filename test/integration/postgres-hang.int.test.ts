import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';

// The admin API while Postgres hangs (the proxy holds every byte, connections
// open) or is cut. Bounds are small here; the defaults are in src/storage/postgres/pool.ts.
const schema = `tg_pg_hang_${process.pid}_${Date.now() % 100000}`;
const TIMEOUTS = { connectTimeoutMs: 400, queryTimeoutMs: 400, reportTimeoutMs: 700 };
const proxy = new PgProxy();
let h: Harness;

beforeAll(async () => {
  await proxy.listen();
  h = await startHarness({ storage: () => openPostgres({ url: proxy.url, schema, maxConnections: 4, ...TIMEOUTS }), policy: {} });
});
// Whatever a test left, the next finds Postgres answering.
afterEach(async () => {
  proxy.resume();
  if (!proxy.listening) await proxy.listen();
});
afterAll(async () => {
  proxy.resume();
  if (!proxy.listening) await proxy.listen();
  await h?.close();
  await proxy.cut();
  await dropSchemas([schema]);
});

const ADMIN = { authorization: 'Bearer admin-secret', 'content-type': 'application/json' };

/** Status, body (read whole, or the error that cut it) and time taken; gives up after 5 s, well past every bound above. */
async function admin(method: 'GET' | 'POST', path: string, body?: unknown) {
  const t0 = performance.now();
  const res = await request(`${h.url}/admin/v1${path}`, { method, headers: ADMIN, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  const text = await res.body.text().then(
    (t) => ({ ok: true as const, t }),
    (err: unknown) => ({ ok: false as const, t: String(err) }),
  );
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], text: text.t, complete: text.ok, ms: performance.now() - t0 };
}

const READS: ['GET' | 'POST', string, unknown?][] = [
  ['GET', '/keys'],
  ['GET', '/budgets'],
  ['GET', '/audit'],
  ['GET', '/outcomes?since=1h'],
  ['POST', '/keys', { user: 'carol' }],
  ['GET', '/report?since=1h'],
];

function expectUnavailable(r: Awaited<ReturnType<typeof admin>>, what: string): void {
  expect({ what, status: r.status, retryAfter: r.retryAfter, complete: r.complete }).toEqual({ what, status: 503, retryAfter: '5', complete: true });
  expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'storage_unavailable' } });
}

describe('admin API while Postgres hangs or is cut', () => {
  it('answers 503 storage_unavailable with retry-after 5 within its bounds, on pooled and new connections alike, and 200 once Postgres answers', async () => {
    for (const [method, path, body] of READS) expect((await admin(method, path, body)).status, path).toBeLessThan(300);
    proxy.hang();
    // Twice over: first on the pooled connections (a query that gets no answer), then on new ones (no handshake).
    for (const round of [1, 2]) {
      for (const [method, path, body] of READS) {
        const r = await admin(method, path, body);
        expectUnavailable(r, `${method} ${path} (round ${round})`);
        expect(r.ms, path).toBeLessThan(3000);
      }
    }
    proxy.resume();
    for (const [method, path, body] of READS) expect((await admin(method, path, body)).status, path).toBeLessThan(300);
    // Refused connections were already a quick 503, and still are.
    await proxy.cut();
    for (const [method, path, body] of READS) expectUnavailable(await admin(method, path, body), `${method} ${path} (cut)`);
  });
});
