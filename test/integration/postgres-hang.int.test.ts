import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { sampleRow } from '../../src/storage/testing/rows.js';
import { type Harness, startHarness } from '../support/harness.js';

// The admin API and the key cache while Postgres hangs (the proxy holds every byte, connections
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
async function admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const t0 = performance.now();
  const res = await request(`${h.url}/admin/v1${path}`, { method, headers: ADMIN, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  const text = await res.body.text().then(
    (t) => ({ ok: true as const, t }),
    (err: unknown) => ({ ok: false as const, t: String(err) }),
  );
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], text: text.t, complete: text.ok, ms: performance.now() - t0 };
}

const chat = async (key: string) => {
  const res = await request(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.statusCode, body: await res.body.text() };
};

const READS: ['GET' | 'POST', string, unknown?][] = [
  ['GET', '/keys'],
  ['GET', '/budgets'],
  ['GET', '/audit'],
  ['GET', '/outcomes?since=1h'],
  ['POST', '/keys', { user: 'carol' }],
  ['GET', '/report?since=1h'],
  ['GET', '/export?since=1h'],
  ['GET', '/export?since=1h&format=csv'],
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

  it('an export whose storage fails after rows went out ends in a cut transfer, not a complete file', async () => {
    // More than one page (2,000 rows) in the window: the second page is read after the first is sent.
    const ts = Date.now() - 60_000;
    const rows = Array.from({ length: 2100 }, (_, i) => sampleRow({ id: `hang-export-${String(i).padStart(5, '0')}`, ts: ts + i }));
    // Straight to Postgres, without the bounds made small for the test.
    const direct = await openPostgres({ url: TEST_PG_URL, schema });
    try {
      await direct.ledger.insert(rows);
    } finally {
      await direct.close();
    }
    for (const then of ['hang', 'cut'] as const) {
      for (const format of ['jsonl', 'csv']) {
        // The second page's query is the first to carry a keyset condition.
        proxy.whenSent('(ts, id) >', then);
        const r = await admin('GET', `/export?since=10m&format=${format}`);
        expect({ then, format, status: r.status, complete: r.complete }).toEqual({ then, format, status: 200, complete: false });
        proxy.resume();
        if (!proxy.listening) await proxy.listen();
        // Up again: the same export is whole, its rows all there.
        const whole = await admin('GET', `/export?since=10m&format=${format}`);
        expect(whole.complete).toBe(true);
        expect(whole.text.trim().split('\n').length).toBe(format === 'csv' ? 2101 : 2100);
      }
    }
  });
});

describe('revoking a key through the admin API', () => {
  it('keeps every other key cached, and a revoke of an id that does not exist changes nothing, so an outage after it still serves them', async () => {
    const other = await createKey(h.tollgate.storage.keys, { user: 'bob', team: null, project: null });
    expect((await chat(h.key.key)).status).toBe(200);
    expect((await chat(other.key)).status).toBe(200);
    expect((await admin('DELETE', '/keys/key_nosuchkey')).status).toBe(404);
    expect((await admin('POST', `/keys/${other.id}/revoke`)).status).toBe(200);
    await proxy.cut();
    expect((await chat(h.key.key)).status).toBe(200);
    // The revoked key is refused as revoked, Postgres down or not.
    const refused = await chat(other.key);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'revoked_api_key' } });
  });
});
