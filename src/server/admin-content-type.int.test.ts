import { afterEach, describe, expect, it } from 'vitest';
import { type CreatedKey, createKey } from '../identity/key-service.js';
import { toJsonLine } from '../reports/export.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { serveAdmin } from './testing/admin-server.js';
import { testRuntime } from './testing/policy-runtime.js';

// Every admin route that reads a body reads it as the type it takes: JSON (with any charset
// parameter naming UTF-8), or JSON lines for the ledger imports. A form, text or a body without a
// Content-Type is a 415 naming the type expected, before the body is read.

const TOKEN = 'adm';
let storage: Storage | undefined;
let close: (() => void) | undefined;

afterEach(async () => {
  close?.();
  await storage?.close();
  close = undefined;
  storage = undefined;
});

/** The admin API over a fresh ledger (token `adm`), with policy rules, and alice's key for the /me routes. */
async function start(): Promise<{ url: string; alice: CreatedKey }> {
  storage = openSqlite(':memory:');
  const served = await serveAdmin(storage, { policy: await testRuntime(storage, { rules: {} }) });
  close = served.close;
  const alice = await createKey(storage.keys, { user: 'alice', team: 'platform', project: null });
  return { url: served.base.slice(0, -'/admin/v1'.length), alice };
}

interface Answer {
  status: number;
  accept: string | null;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** A POST with `body` as it is, and `type` as its Content-Type (none when undefined: a Blob without a type sends none). */
async function post(url: string, path: string, body: string, type: string | undefined, bearer = TOKEN): Promise<Answer> {
  const res = await fetch(`${url}/admin/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, ...(type === undefined ? {} : { 'content-type': type }) },
    body: type === undefined ? new Blob([body]) : body,
  });
  return { status: res.status, accept: res.headers.get('accept-post'), json: (await res.json()) as Answer['json'] };
}

const JSON_BODIES: [path: string, body: unknown][] = [
  ['/keys', { user: 'bob', team: 'platform' }],
  ['/budgets', { id: 'b1', scope: 'team:platform', window: 'day', limit_usd: 10 }],
  ['/rate-limits', { id: 'r1', scope: 'team:platform', rpm: 10 }],
  ['/outcomes', { kind: 'pr_merged', user: 'alice', id: 'pr-1' }],
  ['/objects/assign', { ids: ['file-abc'], team: 'platform' }],
  ['/increases', { scope: 'team:platform', amount_usd: 5, reason: 'launch' }],
];

describe('admin API bodies and their Content-Type', () => {
  it('refuses a JSON body sent as text, as a form or without a Content-Type on every JSON route, with a 415 naming application/json', async () => {
    const { url, alice } = await start();
    for (const [path, body] of [...JSON_BODIES, ['/me/increases', { scope: 'user:alice', amount_usd: 5, reason: 'more' }] as [string, unknown]]) {
      const bearer = path.startsWith('/me/') ? alice.key : TOKEN;
      for (const type of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', undefined]) {
        const r = await post(url, path, JSON.stringify(body), type, bearer);
        expect({ path, type, status: r.status, code: r.json.error?.code }).toEqual({ path, type, status: 415, code: 'unsupported_media_type' });
        expect(r.json.error?.message).toContain('application/json');
        expect(r.accept).toBe('application/json');
      }
    }
    // Nothing was made from them.
    expect((await storage!.keys.list({ includeRevoked: true })).map((k) => k.user)).toEqual(['alice']);
    expect(await storage!.outcomes.list({ limit: 10 })).toEqual([]);
  });

  it('takes application/json in any case and with a UTF-8 charset, refuses another charset, and takes a route without a body with no Content-Type', async () => {
    const { url } = await start();
    expect((await post(url, '/keys', JSON.stringify({ user: 'a', team: 't' }), 'application/json')).status).toBe(201);
    expect((await post(url, '/keys', JSON.stringify({ user: 'b', team: 't' }), 'Application/JSON; charset="utf-8"')).status).toBe(201);
    const latin = await post(url, '/keys', JSON.stringify({ user: 'c', team: 't' }), 'application/json; charset=iso-8859-1');
    expect(latin).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type', message: expect.stringContaining('UTF-8') as unknown } } });
    // An empty body is no body, whatever it is labelled: the key it asks for is refused for what it lacks.
    expect(await post(url, '/keys', '', 'text/plain')).toMatchObject({ status: 400, json: { error: { code: 'invalid_request' } } });
    // An approval without a note has no body, and needs no type.
    expect((await post(url, '/budgets', JSON.stringify({ id: 'b1', scope: 'team:platform', window: 'day', limit_usd: 10 }), 'application/json')).status).toBe(201);
    const inc = await post(url, '/increases', JSON.stringify({ scope: 'team:platform', amount_usd: 5, hours: 2, reason: 'launch', requested_by: 'a' }), 'application/json');
    expect(inc.status).toBe(201);
    const approve = await fetch(`${url}/admin/v1/increases/${String(inc.json.id)}/approve`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(approve.status).toBe(200);
  });

  it('takes JSON lines on the ledger imports as application/x-ndjson or application/jsonl, and refuses text, a form, JSON or none', async () => {
    const { url, alice } = await start();
    const line = (id: string) => toJsonLine(sampleRow({ id }));
    expect(await post(url, '/ledger/import', line('nd'), 'application/x-ndjson')).toMatchObject({ status: 200, json: { written: 1 } });
    expect(await post(url, '/ledger/import', line('jl'), 'application/jsonl; charset=utf-8')).toMatchObject({ status: 200, json: { written: 1 } });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json', undefined]) {
      const r = await post(url, '/ledger/import', line(`x-${String(type)}`), type);
      expect({ type, status: r.status, code: r.json.error?.code }).toEqual({ type, status: 415, code: 'unsupported_media_type' });
      expect(r.json.error?.message).toContain('application/x-ndjson');
    }
    const own = await post(url, '/me/ledger/import', toJsonLine({ ...sampleRow({ id: 'mine' }), source: 'claude-code-log' }), 'text/plain', alice.key);
    expect(own).toMatchObject({ status: 415, json: { error: { code: 'unsupported_media_type' } } });
    expect((await storage!.ledger.get('nd'))?.id).toBe('nd');
    expect(await storage!.ledger.get('x-text/plain')).toBeUndefined();
  });
});
