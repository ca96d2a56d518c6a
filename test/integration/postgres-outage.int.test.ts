import pg from 'pg';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { PgProxy } from '../../src/storage/testing/pg-proxy.js';
import { TEST_PG_URL } from '../../src/storage/testing/postgres.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

// Real Postgres on the machine (CI starts it), reached through a TCP proxy the test can cut.
const schema = `tg_outage_${process.pid}_${Date.now() % 100000}`;

const proxy = new PgProxy();
let h: Harness;

beforeAll(async () => {
  await proxy.listen();
  h = await startHarness({ storage: () => openPostgres({ url: proxy.url, schema, maxConnections: 4 }) });
});
afterAll(async () => {
  if (!proxy.listening) await proxy.listen();
  await h.close();
  await proxy.cut();
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

const chat = async (key: string) => {
  const res = await request(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = await res.body.text();
  return { status: res.statusCode, body, id: res.headers['x-tollgate-request-id'] as string };
};

/** The ledger as Postgres has it, read on a connection of its own. */
async function committed(): Promise<{ id: string; outcome: string }[]> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<{ id: string; outcome: string }>('SELECT id, outcome FROM requests ORDER BY ts, id')).rows;
  } finally {
    await client.end();
  }
}

describe('Postgres down', () => {
  it('serves keys it has seen, refuses unseen ones with 503, and commits every row once Postgres is back', async () => {
    const unseen = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'data', project: null });
    const first = await chat(h.key.key);
    expect(first.status).toBe(200);
    await eventually(async () => expect(await committed()).toHaveLength(1), 10_000);

    await proxy.cut();
    // Past the key cache's 2 s: the key is looked up again, and the lookup fails.
    await new Promise((r) => setTimeout(r, 2100));
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await chat(h.key.key));
    expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const refused = await chat(unseen.key);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'storage_unavailable' } });

    await proxy.listen();
    const rows = await eventually(async () => {
      const r = await committed();
      expect(r).toHaveLength(7);
      return r;
    }, 15_000);
    expect(rows.map((r) => r.id).sort()).toEqual([first, ...during, refused].map((r) => r.id).sort());
    expect(rows.find((r) => r.id === refused.id)!.outcome).toBe('gateway_error');
  });

  it('shuts down while Postgres is down: close resolves and the rows stay in the spool', async () => {
    await proxy.cut();
    expect((await chat(h.key.key)).status).toBe(200);
    await expect(h.tollgate.close()).resolves.toBeUndefined();
    await proxy.listen();
  });
});
