import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { serveAdmin } from './testing/admin-server.js';

async function postKey(admin: Awaited<ReturnType<typeof serveAdmin>>, body: string): Promise<{ status: number; message: string }> {
  const res = await fetch(`${admin.base}/keys`, { method: 'POST', headers: { ...admin.auth.headers, 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  if (json.error) expect(json.error.code).toBe('invalid_request');
  return { status: res.status, message: json.error?.message ?? '' };
}

describe('POST /admin/v1/keys', () => {
  it('refuses unknown fields, naming them, the accepted ones and the closest, and creates no key', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    const accepted = 'a key takes user, team, project, name, expires';
    expect(await postKey(admin, JSON.stringify({ user: 'x', tema: 'y' }))).toEqual({ status: 400, message: `unknown field "tema" (did you mean "team"?); ${accepted}` });
    expect(await postKey(admin, JSON.stringify({ usr: 'typo' }))).toEqual({ status: 400, message: `unknown field "usr" (did you mean "user"?); ${accepted}` });
    expect(await postKey(admin, JSON.stringify({ user: 'x', colour: 'red', projet: 'p' }))).toEqual({
      status: 400,
      message: `unknown field "colour"; unknown field "projet" (did you mean "project"?); ${accepted}`,
    });
    expect(await storage.keys.list({ includeRevoked: true })).toEqual([]);
    admin.close();
    await storage.close();
  });

  it('refuses a body that is not an object, and still creates a key from known fields', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage);
    for (const body of ['["user"]', '"bob"', '5']) {
      const r = await postKey(admin, body);
      expect(r.status, body).toBe(400);
      expect(r.message, body).toBe('the body must be a JSON object with user, team, project, name, expires');
    }
    expect(await postKey(admin, JSON.stringify({ user: 'bob', team: 'web', project: 'p', name: 'laptop', expires: null }))).toEqual({ status: 201, message: '' });
    expect(await storage.keys.list({ includeRevoked: false })).toEqual([expect.objectContaining({ user: 'bob', team: 'web', project: 'p', name: 'laptop' })]);
    admin.close();
    await storage.close();
  });
});
