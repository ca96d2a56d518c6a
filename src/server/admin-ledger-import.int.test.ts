import { afterAll, describe, expect, it } from 'vitest';
import { toJsonLine } from '../reports/export.js';
import type { Storage } from '../storage/ports.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { createKey } from '../identity/key-service.js';
import { serveAdmin } from './testing/admin-server.js';

describe('POST /admin/v1/ledger/import', () => {
  it('counts as removed only the rows the ledger held', async () => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert([sampleRow({ id: 'old' })]);
    const admin = await serveAdmin(storage);
    const post = async (body: string) => {
      const r = await fetch(`${admin.base}/ledger/import`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
      expect(r.status).toBe(200);
      return (await r.json()) as { received: number; removed: number; written: number };
    };
    expect(await post(`${toJsonLine(sampleRow({ id: 'new' }))}{"remove":"never-there"}\n`)).toMatchObject({ received: 1, removed: 0, written: 1 });
    expect(await post('{"remove":"old"}\n{"remove":"old"}\n')).toMatchObject({ received: 0, removed: 1, written: 0 });
    expect(await storage.ledger.get('old')).toBeUndefined();
    admin.close();
    await storage.close();
  });

  it('refuses a pushed row dated before 1970 with 400 naming its line, writing none of the batch (a client before the check sends one)', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    const body = toJsonLine(sampleRow({ id: 'ok' })) + toJsonLine(sampleRow({ id: 'early', ts: Date.UTC(1969, 11, 31) }));
    const r = await fetch(`${admin.base}/ledger/import`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe('line 2: ts 1969-12-31T00:00:00.000Z is before 1970-01-01, the earliest time the ledger holds');
    expect(await storage.ledger.get('ok')).toBeUndefined();
    admin.close();
    await storage.close();
  });

  it('takes a removal in any JSON spacing; with mode=insert keeps a row it already has as it is (a ledger file pushed)', async () => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert([sampleRow({ id: 'kept', costPicos: 1_350_000_000n }), sampleRow({ id: 'gone' })]);
    const admin = await serveAdmin(storage);
    const post = async (query: string, body: string) => fetch(`${admin.base}/ledger/import${query}`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect(await (await post('', '{ "remove" : "gone" }\n')).json()).toMatchObject({ received: 0, removed: 1, written: 0 });
    const changed = toJsonLine(sampleRow({ id: 'kept', costPicos: 7_770_000_000_000n }));
    const r = await post('?mode=insert', `${changed}${toJsonLine(sampleRow({ id: 'fresh' }))}`);
    expect(await r.json()).toMatchObject({ received: 2, removed: 0, written: 1 });
    expect((await storage.ledger.get('kept'))!.costPicos).toBe(1_350_000_000n);
    expect((await post('?mode=insert', '{"remove":"kept"}\n')).status).toBe(400);
    expect((await post('?mode=merge', changed)).status).toBe(400);
    // A misspelt mode is refused, not taken for the default upsert that would change the row.
    const typo = await post('?mdoe=insert', changed);
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string } }).error.message).toBe('unknown query parameter "mdoe" (did you mean "mode"?): POST /admin/v1/ledger/import does not take it; it takes mode');
    expect((await storage.ledger.get('kept'))!.costPicos).toBe(1_350_000_000n);
    admin.close();
    await storage.close();
  });
});

describe('POST /admin/v1/me/ledger/import (a developer’s own key)', () => {
  it('takes log rows only, attributes them to the key, refuses a ledger file, and removes only the key’s own log rows', async () => {
    const storage = openSqlite(':memory:');
    const alice = await createKey(storage.keys, { user: 'alice', team: 'web', project: null });
    await storage.ledger.insert([sampleRow({ id: 'bobs', source: 'claude-code-log', user: 'bob', upstreamRequestId: 'req_bob' })]);
    const admin = await serveAdmin(storage);
    const push = (body: string, query = '', key = alice.key) => fetch(`${admin.base}/me/ledger/import${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } });
    const mine = sampleRow({ id: 'mine', source: 'claude-code-log', user: 'mallory', team: 'other', project: 'p', upstreamRequestId: 'req_mine' });
    expect(await (await push(toJsonLine(mine))).json()).toMatchObject({ written: 1 });
    expect(await storage.ledger.get('mine')).toMatchObject({ keyId: alice.id, user: 'alice', team: 'web', project: 'p' });
    const gateway = await push(toJsonLine(sampleRow({ id: 'forged', source: 'gateway', upstreamRequestId: 'req_forged' })));
    expect(gateway.status).toBe(400);
    expect(await gateway.text()).toContain('a Tollgate key pushes agent log rows only');
    expect((await push(toJsonLine(mine), '?mode=insert')).status).toBe(403);
    const others = await push('{"remove":"bobs"}\n');
    expect(others.status).toBe(403);
    expect(await storage.ledger.get('bobs')).toBeDefined();
    expect(await (await push('{"remove":"mine"}\n')).json()).toMatchObject({ removed: 1 });
    expect((await push(toJsonLine(mine), '', 'tg_unknown')).status).toBe(401);
    // The admin route still wants the admin token.
    expect((await fetch(`${admin.base}/ledger/import`, { method: 'POST', body: toJsonLine(mine), headers: { authorization: `Bearer ${alice.key}`, 'content-type': 'application/x-ndjson' } })).status).toBe(401);
    admin.close();
    await storage.close();
  });
});

describe('POST /admin/v1/me/ledger/import, a row id already stored', () => {
  it('does not let a key replace its own gateway row or another user log row with a pushed copy (its spend would leave the ledger)', async () => {
    const storage = openSqlite(':memory:');
    const alice = await createKey(storage.keys, { user: 'alice', team: 'web', project: null });
    // Alice's own request, recorded by the gateway: its id is the x-tollgate-request-id she was answered with.
    const gateway = sampleRow({ id: 'gw_alice', keyId: alice.id, user: 'alice', team: 'web', source: 'gateway', upstreamRequestId: 'req_gw', responseId: 'resp_gw', costPicos: 9_000_000_000n });
    const bobs = sampleRow({ id: 'cc_bob', source: 'claude-code-log', user: 'bob', upstreamRequestId: 'req_bob', responseId: null, outputTokens: 100 });
    await storage.ledger.insert([gateway, bobs]);
    const admin = await serveAdmin(storage);
    const push = (...rows: ReturnType<typeof sampleRow>[]) => fetch(`${admin.base}/me/ledger/import`, { method: 'POST', body: rows.map(toJsonLine).join(''), headers: { authorization: `Bearer ${alice.key}`, 'content-type': 'application/x-ndjson' } });
    const forged = (id: string, output: number) => sampleRow({ id, source: 'claude-code-log', sessionId: 'forged', upstreamRequestId: `req_${id}_forged`, responseId: null, inputTokens: 0, cacheReadTokens: 0, outputTokens: output, reasoningTokens: 0, costPicos: 0n });
    const answer = await push(forged('gw_alice', 0), forged('cc_bob', 50_000));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ received: 2, written: 0 });
    expect(await storage.ledger.get('gw_alice')).toMatchObject({ source: 'gateway', costPicos: 9_000_000_000n, outputTokens: 100 });
    expect(await storage.ledger.get('cc_bob')).toMatchObject({ user: 'bob', outputTokens: 100 });
    // Her own log record still grows as it is pushed again.
    expect(await (await push(forged('cc_alice', 10))).json()).toMatchObject({ written: 1 });
    expect(await (await push(forged('cc_alice', 20))).json()).toMatchObject({ written: 1 });
    expect(await storage.ledger.get('cc_alice')).toMatchObject({ user: 'alice', outputTokens: 20 });
    admin.close();
    await storage.close();
  });
});

const SCHEMA = `tg_push_${process.pid}_${Date.now() % 100000}`;
afterAll(() => dropSchemas([SCHEMA]));

describe.each([
  ['SQLite', (): Promise<Storage> => Promise.resolve(openSqlite(':memory:'))],
  ['Postgres', (): Promise<Storage> => openPostgres({ url: TEST_PG_URL, schema: SCHEMA, maxConnections: 2 })],
])('a log record pushed from two machines (%s)', (_, open) => {
  it('keeps its largest copy and that copy’s user, whoever pushes last; other rows are replaced as sent', async () => {
    const storage = await open();
    const admin = await serveAdmin(storage);
    const push = (...rows: ReturnType<typeof sampleRow>[]) => fetch(`${admin.base}/ledger/import`, { method: 'POST', body: rows.map(toJsonLine).join(''), headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    const copy = (user: string, output: number) => sampleRow({ id: 'cc_shared', source: 'claude-code-log', user, inputTokens: 100, outputTokens: output, costPicos: BigInt(output) * 1000n });
    await push(copy('alice', 5000));
    // An older copy of the same session file, on another machine: its placeholder output of 1.
    expect(await (await push(copy('bob', 1))).json()).toMatchObject({ written: 0 });
    expect(await storage.ledger.get('cc_shared')).toMatchObject({ user: 'alice', outputTokens: 5000 });
    // The record grew (the response went on): the larger copy replaces it.
    await push(copy('bob', 6000));
    expect(await storage.ledger.get('cc_shared')).toMatchObject({ user: 'bob', outputTokens: 6000 });
    // A ledger file's rows are authoritative: replaced as sent, smaller or not.
    await push(sampleRow({ id: 'exported', source: 'gateway', upstreamRequestId: null, responseId: null, sessionId: null, outputTokens: 50 }));
    await push(sampleRow({ id: 'exported', source: 'gateway', upstreamRequestId: null, responseId: null, sessionId: null, outputTokens: 5, user: 'carol' }));
    expect(await storage.ledger.get('exported')).toMatchObject({ user: 'carol', outputTokens: 5 });
    admin.close();
    await storage.close();
  });
});

