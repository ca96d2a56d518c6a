import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';

// An admin read while rows wait for a Postgres that hangs. Its waits are a minute here, so the ledger
// writer's batch in flight outlasts every request below (each given up after 5 s): an answer can
// only come from the read not waiting behind it.
const LONG = { connectTimeoutMs: 60_000, queryTimeoutMs: 60_000, reportTimeoutMs: 60_000 };
const stamp = `${process.pid}_${Date.now() % 100000}`;

interface Gateway {
  h: Harness;
  proxy: PgProxy;
  errors: string[];
}

async function gateway(schema: string, ledgerReadWaitMs: number): Promise<Gateway> {
  const proxy = new PgProxy();
  await proxy.listen();
  const errors: string[] = [];
  const none = () => undefined;
  const log: Logger = { debug: none, info: none, warn: none, error: (msg) => void errors.push(msg) };
  const h = await startHarness({ storage: () => openPostgres({ url: proxy.url, schema, maxConnections: 4, ...LONG }), log, ledgerReadWaitMs });
  return { h, proxy, errors };
}

async function stop(g: Gateway | undefined, schema: string): Promise<void> {
  g?.proxy.resume();
  if (g && !g.proxy.listening) await g.proxy.listen();
  await g?.h.close();
  await g?.proxy.cut();
  await dropSchemas([schema]);
}

async function admin(g: Gateway, path: string) {
  const res = await request(`${g.h.url}/admin/v1${path}`, { headers: { authorization: 'Bearer admin-secret' }, signal: AbortSignal.timeout(5000) });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: (await res.body.json()) as { error?: { code: string }; total?: { requests: number } } };
}

async function chat(g: Gateway): Promise<number> {
  const res = await request(`${g.h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${g.h.key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(5000),
  });
  await res.body.text();
  return res.statusCode;
}

function expectUnavailable(r: Awaited<ReturnType<typeof admin>>): void {
  expect({ status: r.status, retryAfter: r.retryAfter, code: r.body.error?.code }).toEqual({ status: 503, retryAfter: '5', code: 'storage_unavailable' });
}

describe('a report while the ledger writer is failing', () => {
  const schema = `tg_hang_read_fail_${stamp}`;
  let g: Gateway;
  // Longer than any request here waits: only not waiting at all answers in time.
  beforeAll(async () => void (g = await gateway(schema, 60_000)));
  afterAll(() => stop(g, schema));

  it('answers 503 storage_unavailable at once, not after the retry in flight and a batch of its own', async () => {
    expect(await chat(g)).toBe(200);
    expect((await admin(g, '/report?since=1h')).body.total?.requests).toBe(1);
    // Refused: a batch fails at once. Then hung: the writer's retry waits a minute to connect.
    await g.proxy.cut();
    expect(await chat(g)).toBe(200);
    for (let waited = 0; !g.errors.some((e) => e.startsWith('ledger write failed')) && waited < 100; waited++) await new Promise((r) => setTimeout(r, 50));
    expect(g.errors.find((e) => e.startsWith('ledger write failed'))).toBeDefined();
    g.proxy.hang();
    await g.proxy.listen();
    expectUnavailable(await admin(g, '/report?since=1h'));
    // Back: the row waiting is committed, and counted.
    g.proxy.resume();
    await g.h.tollgate.flush();
    expect((await admin(g, '/report?since=1h')).body.total?.requests).toBe(2);
  });
});

describe('a report while a batch hangs before any has failed', () => {
  const schema = `tg_hang_read_wait_${stamp}`;
  let g: Gateway;
  beforeAll(async () => void (g = await gateway(schema, 300)));
  afterAll(() => stop(g, schema));

  it('waits for the rows recorded before it no longer than the read wait, then answers 503 storage_unavailable', async () => {
    expect(await chat(g)).toBe(200);
    expect((await admin(g, '/report?since=1h')).status).toBe(200);
    g.proxy.hang();
    // Served from the key cache; its row goes to a batch that gets no answer for a minute.
    expect(await chat(g)).toBe(200);
    expectUnavailable(await admin(g, '/report?since=1h'));
    g.proxy.resume();
    await g.h.tollgate.flush();
    expect((await admin(g, '/report?since=1h')).body.total?.requests).toBe(2);
  });
});
