import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

async function ledgerAfterClose(dir: string): Promise<LedgerRow[]> {
  const storage = openSqlite(join(dir, 'tollgate.db'));
  const rows: LedgerRow[] = [];
  for await (const r of storage.ledger.scan({})) rows.push(r);
  await storage.close();
  return rows;
}

/** Opens `n` streams, each read to its first chunk. */
async function openStreams(url: string, key: string, n: number) {
  const agent = new Agent({ connections: n });
  const controllers = Array.from({ length: n }, () => new AbortController());
  const ids = await Promise.all(
    controllers.map(async (ac) => {
      const res = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        signal: ac.signal,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hold' }] }),
      });
      const body = res.body[Symbol.asyncIterator]();
      await body.next();
      // Swallow the abort the test causes.
      void (async () => {
        try {
          while (!(await body.next()).done);
        } catch {
          /* aborted */
        }
      })();
      return res.headers['x-tollgate-request-id'] as string;
    }),
  );
  return { ids, abort: () => controllers.forEach((c) => c.abort()), agent };
}

describe('shutdown', () => {
  it('records the rows of requests whose clients leave while the gateway closes', async () => {
    h = await startHarness();
    h.fake.setDefault({ stallAfterEvents: 1, usage: { input: 50, output: 10 } });
    const { ids, abort, agent } = await openStreams(h.url, h.key.key, 20);
    abort();
    await h.tollgate.close();
    await agent.destroy();
    const rows = await ledgerAfterClose(h.dir);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['client_aborted']));
    // Every row reached storage, so no spool file is left to replay.
    expect(readdirSync(join(h.dir, 'spool'))).toEqual([]);
  });

  it('records the rows of streams it cuts when the drain time runs out, and says how many it cut', async () => {
    const said: string[] = [];
    const none = () => undefined;
    h = await startHarness({ log: { debug: none, info: (m) => void said.push(m), warn: none, error: none } });
    h.fake.setDefault({ stallAfterEvents: 1, usage: { input: 50, output: 10 } });
    const { ids, agent } = await openStreams(h.url, h.key.key, 5);
    await h.tollgate.close();
    await agent.destroy();
    const rows = await ledgerAfterClose(h.dir);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    // The gateway cut them, not their clients.
    for (const r of rows) expect(r).toMatchObject({ outcome: 'truncated', errorType: 'gateway_shutdown', usageSource: 'estimated' });
    expect(readdirSync(join(h.dir, 'spool'))).toEqual([]);
    expect(said).toContain('shutdown drained the requests in flight: 5 when it began, 5 cut when the drain time (1000 ms) ran out, recorded truncated (gateway_shutdown)');
  });

  it('does not wait the drain time for the connection of a stream that ends during the drain', async () => {
    const said: string[] = [];
    const none = () => undefined;
    h = await startHarness({ log: { debug: none, info: (m) => void said.push(m), warn: none, error: none } });
    // Three chunks 100 ms apart: it ends about 200 ms into the harness's 1,000 ms drain, its connection kept alive.
    h.fake.setDefault({ chunks: 3, chunkDelayMs: 100, usage: { input: 50, output: 10 } });
    const agent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'short' }] }),
    });
    const text = res.body.text();
    const started = Date.now();
    await h.tollgate.close();
    expect(Date.now() - started).toBeLessThan(800);
    expect(await text).toContain('[DONE]');
    await agent.destroy();
    expect(said).toContain('shutdown drained the requests in flight: 1 when it began, none cut');
    expect((await ledgerAfterClose(h.dir)).map((r) => r.outcome)).toEqual(['ok']);
  });

  it('does not wait the drain time for a connection that never sent a request (a fetch client opens one when it aborts a stream)', async () => {
    const said: string[] = [];
    const none = () => undefined;
    h = await startHarness({ log: { debug: none, info: (m) => void said.push(m), warn: none, error: none } });
    const { hostname, port } = new URL(h.url);
    const socket = connect(Number(port), hostname);
    await new Promise((ok) => socket.once('connect', ok));
    const closed = new Promise((ok) => socket.once('close', ok));
    socket.on('error', () => undefined);
    const started = Date.now();
    await h.tollgate.close();
    expect(Date.now() - started).toBeLessThan(800);
    await closed;
    expect(said).toContain('shutdown drained the requests in flight: 0 when it began, none cut');
  });
});
