import { describe, expect, it } from 'vitest';
import { createKey } from '../identity/key-service.js';
import type { ObjectOwner } from '../identity/stored-objects.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { serveAdmin } from './testing/admin-server.js';

async function setUp() {
  const storage = openSqlite(':memory:');
  const told: [string, ObjectOwner | undefined][] = [];
  const admin = await serveAdmin(storage, { providers: [{ name: 'claude', dialect: 'anthropic' }], objects: { assigned: (id, owner) => void told.push([id, owner]) } });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${admin.base}/objects${path}`, { method, headers: { ...admin.auth.headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };
  return { storage, admin, told, call, close: async () => (admin.close(), await storage.close()) };
}

describe('/admin/v1/objects', () => {
  it('gives objects an owner, shows it (a Gemini name with its slash as written or escaped) and forgets it, telling this gateway each change', async () => {
    const t = await setUp();
    const alice = await createKey(t.storage.keys, { user: 'alice', team: 'platform', project: null });
    const given = await t.call('POST', '/assign', { ids: ['files/abc', 'skill_01x'], key: alice.id, provider: 'claude' });
    // `claude` is an Anthropic provider: a Gemini file is not one of its objects.
    expect(given).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', message: '"files/abc" is a Gemini file\'s id, not an Anthropic object\'s ("provider": "claude")' } } });
    expect(await t.call('POST', '/assign', { ids: ['files/abc', 'vs_1'], key: alice.id })).toMatchObject({ status: 200, json: { data: [{ id: 'files/abc', owner: { key_id: alice.id, team: 'platform' }, changed: true }, { id: 'vs_1' }] } });
    expect(t.told).toEqual([
      ['files/abc', { keyId: alice.id, team: 'platform' }],
      ['vs_1', { keyId: alice.id, team: 'platform' }],
    ]);
    for (const path of ['/files/abc', '/files%2Fabc']) expect(await t.call('GET', path), path).toMatchObject({ status: 200, json: { id: 'files/abc', kind: 'file', dialect: 'gemini', api: 'gemini.files', owner: { key_id: alice.id } } });
    expect(await t.call('POST', '/assign', { ids: ['vs_1'], team: 'data' })).toMatchObject({ status: 409, json: { error: { code: 'conflict', message: `vs_1 is owned by key ${alice.id} (team platform). Nothing was changed: "force": true replaces the owner.` } } });
    expect(await t.call('POST', '/assign', { ids: ['vs_1'], team: 'data', force: true })).toMatchObject({ status: 200, json: { data: [{ previous: { key_id: alice.id, team: 'platform' }, owner: { key_id: null, team: 'data' } }] } });
    expect(await t.call('DELETE', '/vs_1')).toMatchObject({ status: 200, json: { id: 'vs_1', owner: { key_id: null, team: 'data' } } });
    expect(t.told.at(-1)).toEqual(['vs_1', undefined]);
    expect(await t.call('DELETE', '/vs_1')).toMatchObject({ status: 404, json: { error: { code: 'not_found', message: 'no owner is recorded for vs_1: nothing was forgotten' } } });
    expect(await t.call('GET', '/vs_1')).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    expect((await t.storage.policy.listAudit({})).map((e) => [e.actor, e.action])).toContainEqual(['admin-api', 'object.forget']);
    await t.close();
  });

  it('refuses a body of unknown fields or wrong types, an id of no known shape, an unknown key and unknown query parameters, changing nothing', async () => {
    const t = await setUp();
    const bad = async (method: string, path: string, body: unknown, message: string | RegExp) => {
      const r = await t.call(method, path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error?.code).toBe('invalid_request');
      expect(r.json.error?.message).toMatch(message);
    };
    await bad('POST', '/assign', { ids: ['vs_1'], tema: 'x' }, 'unknown field "tema" (did you mean "team"?); an assignment takes ids, key, team, provider, force');
    await bad('POST', '/assign', ['vs_1'], 'the body must be a JSON object with ids, key, team, provider, force');
    await bad('POST', '/assign', { ids: 'vs_1', team: 'x' }, 'ids must be a list of object ids (strings)');
    await bad('POST', '/assign', { ids: ['vs_1'], team: 5 }, 'team must be a string');
    await bad('POST', '/assign', { ids: ['vs_1'], team: 'x', force: 'yes' }, 'force must be true or false');
    await bad('POST', '/assign', { ids: ['vs 1'], team: 'x' }, /^"vs 1" is not the id of an object whose owner Tollgate records/);
    await bad('POST', '/assign', { ids: ['vs_1'] }, 'give the objects to a key ("key") or to a team ("team"), one of the two');
    await bad('POST', '/assign?force=true', { ids: ['vs_1'], team: 'x' }, 'unknown query parameter "force": POST /admin/v1/objects/assign does not take it; it takes none');
    await bad('POST', '/assign', 'not json', 'request body is not valid JSON');
    expect(await t.call('POST', '/assign', { ids: ['vs_1'], key: 'key_nope' })).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    expect(await t.call('PUT', '/vs_1', { team: 'x' })).toMatchObject({ status: 404, json: { error: { message: 'No admin route PUT /admin/v1/objects/vs_1.' } } });
    expect(await t.storage.objects.records(['vs_1'])).toEqual([]);
    expect(t.told).toEqual([]);
    await t.close();
  });
});
