import { afterEach, describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { createKey } from '../identity/key-service.js';
import type { AuditEntry } from '../policy/rules.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { serveAdmin } from './testing/admin-server.js';
import { testRuntime } from './testing/policy-runtime.js';

type Body = Record<string, unknown> & { data: Record<string, unknown>[]; next_cursor: string | null; error: { code: string; message: string } };

let storage: Storage;
let admin: Awaited<ReturnType<typeof serveAdmin>> | undefined;

afterEach(async () => {
  admin?.close();
  admin = undefined;
  await storage.close();
});

async function start(): Promise<void> {
  storage = openSqlite(':memory:');
  admin = await serveAdmin(storage, { policy: await testRuntime(storage) });
}

async function get(path: string): Promise<{ status: number; json: Body }> {
  const res = await fetch(`${admin!.base}${path}`, admin!.auth);
  return { status: res.status, json: (await res.json()) as Body };
}

describe('admin query parameters', () => {
  it('/report groups by every by given, repeated or comma-separated, as the CLI does', async () => {
    await start();
    const ts = Date.now() - 3_600_000;
    await storage.ledger.insert([
      sampleRow({ id: 'a', ts, user: 'alice', team: 'web', costPicos: usd(1) }),
      sampleRow({ id: 'b', ts, user: 'bob', team: 'web', costPicos: usd(2) }),
      sampleRow({ id: 'c', ts, user: 'carol', team: 'data', costPicos: usd(4) }),
    ]);
    const groups = (r: { json: Body }) => (r.json.rows as Record<string, unknown>[]).map((row) => `${String(row.team)}/${String(row.user)}`).sort();
    const repeated = await get('/report?by=team&by=user');
    expect(repeated.status).toBe(200);
    expect(repeated.json.by).toEqual(['team', 'user']);
    expect(groups(repeated)).toEqual(['data/carol', 'web/alice', 'web/bob']);
    expect(groups(await get('/report?by=team,user'))).toEqual(groups(repeated));
    expect((await get('/report?by=team&by=user,model')).json.by).toEqual(['team', 'user', 'model']);
    expect((await get('/report?by=team&by=rule')).json.error.message).toBe('by=rule cannot be combined with other dimensions');
  });

  it('/audit reads back past any number of entries: until, and a cursor from page to page', async () => {
    await start();
    // 10,005 entries, a few in each millisecond: more than one request's limit.
    const entry = (i: number): AuditEntry => ({ id: `aud_${i}`, ts: 1_700_000_000_000 + Math.floor(i / 3), actor: 'bob', action: 'budget.set', subject: 'budget:b', details: {} });
    for (let i = 0; i < 10_005; i++) await storage.policy.appendAudit(entry(i));
    const first = await get('/audit?limit=10000');
    expect(first.json.data).toHaveLength(10_000);
    expect(first.json.data[0]!.id).toBe('aud_10004');
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const rest = await get(`/audit?limit=10000&cursor=${first.json.next_cursor}`);
    expect(rest.json.data.map((e) => e.id)).toEqual(['aud_4', 'aud_3', 'aud_2', 'aud_1', 'aud_0']);
    expect(rest.json.next_cursor).toBeNull();

    // A window, paged: the entries at and after since, before until, three to a page.
    const until = new Date(1_700_000_000_000 + 3).toISOString();
    const since = new Date(1_700_000_000_000 + 1).toISOString();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: Body } = await get(`/audit?since=${since}&until=${until}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.json.data.map((e) => String(e.id)));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['aud_8', 'aud_7', 'aud_6', 'aud_5', 'aud_4', 'aud_3']);

    expect((await get('/audit?cursor=nonsense')).json.error.message).toBe('cursor "nonsense" is not one this route gave: pass the next_cursor of the previous page as it came');
    expect((await get(`/audit?until=${since}&since=${until}`)).status).toBe(400);
    expect((await get('/audit?limit=10001')).json.error.message).toBe('limit must be a whole number from 1 to 10000');
  });

  it('/report, /audit and /keys refuse a parameter they do not take, or one taken once given twice, naming it', async () => {
    await start();
    const refusal = async (path: string) => {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.json.error.code, path).toBe('invalid_request');
      return r.json.error.message;
    };
    expect(await refusal('/keys?limit=1')).toBe('unknown query parameter "limit": GET /admin/v1/keys does not take it; it takes include_revoked');
    expect(await refusal('/keys?include_revoke=true')).toBe('unknown query parameter "include_revoke" (did you mean "include_revoked"?): GET /admin/v1/keys does not take it; it takes include_revoked');
    expect(await refusal('/audit?untl=1d')).toBe('unknown query parameter "untl" (did you mean "until"?): GET /admin/v1/audit does not take it; it takes since, until, limit, cursor');
    expect(await refusal('/audit?since=1d&since=2d')).toBe('query parameter "since" is given 2 times: GET /admin/v1/audit takes it once');
    expect(await refusal('/report?group=team')).toBe('unknown query parameter "group": GET /admin/v1/report does not take it; it takes since, until, by, format');
    expect(await refusal('/report?format=csv&format=json')).toBe('query parameter "format" is given 2 times: GET /admin/v1/report takes it once');
    expect((await get('/keys?include_revoked=true')).status).toBe(200);
  });

  it('every other read route refuses a parameter it does not take, rather than answer as if it were not there', async () => {
    await start();
    const refused = async (path: string, takes: string) => {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.json.error.message, path).toMatch(new RegExp(`^unknown query parameter "[a-z_]+"( \\(did you mean "[a-z_]+"\\?\\))?: GET /admin/v1/[a-z/-]+ does not take it; it takes ${takes}$`));
      return r.json.error.message;
    };
    expect(await refused('/export?sinse=7d', 'since, until, format')).toContain('(did you mean "since"?)');
    await refused('/explain?team=web&usr=alice', 'from, to, format, user, team, model, provider, client, workflow');
    await refused('/cache-report?group=model', 'since, until, by, format');
    await refused('/forecast?budgets=b1', 'lookback, budget');
    await refused('/outcomes?type=pr_merged', 'since, until, kind, limit');
    await refused('/outcomes/report?by=user&group=team', 'since, until, by, kind, format');
    await refused('/increases?state=pending', 'status');
    for (const path of ['/export?since=7d', '/explain?team=web', '/forecast?lookback=7', '/outcomes?kind=pr_merged', '/outcomes/report?by=user', '/increases?status=pending']) {
      const res = await fetch(`${admin!.base}${path}`, admin!.auth);
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
    }
    // A filter given empty (a script's unset variable) is refused, not read as no filter.
    for (const [path, name] of [['/outcomes?kind=', 'kind'], ['/outcomes/report?kind=%20', 'kind'], ['/forecast?budget=', 'budget']]) {
      const r = await get(path!);
      expect(r.status, path).toBe(400);
      expect(r.json.error.message, path).toBe(`${name} must not be empty: give it a value, or leave it out`);
    }
  });

  it('the rule lists, /budgets/status, /budgets/reconcile, /policy/health, /routing/status, /telemetry/cross-check and /me refuse a parameter they do not take too', async () => {
    await start();
    const k = await createKey(storage.keys, { user: 'alice', team: null, project: null });
    const asKey = { headers: { authorization: `Bearer ${k.key}` } };
    const answer = async (path: string, auth = admin!.auth) => {
      const res = await fetch(`${admin!.base}${path}`, auth);
      return { status: res.status, json: (await res.json()) as Body };
    };
    const cases: [path: string, takes: string, auth?: { headers: Record<string, string> }][] = [
      ['/budgets', 'none'],
      ['/pools', 'none'],
      ['/rate-limits', 'none'],
      ['/model-policies', 'none'],
      ['/budgets/status', 'none'],
      ['/budgets/reconcile', 'fix'],
      ['/policy/health', 'none'],
      ['/routing/status', 'none'],
      ['/telemetry/cross-check', 'since, until'],
      ['/me', 'none', asKey],
    ];
    for (const [path, takes, auth] of cases) {
      expect((await answer(path, auth)).status, path).toBe(200);
      const r = await answer(`${path}?limit=5`, auth);
      const known = takes === 'none' ? 'it takes none' : `it takes ${takes}`;
      expect({ path, status: r.status, message: r.json.error.message }).toEqual({ path, status: 400, message: `unknown query parameter "limit": GET /admin/v1${path} does not take it; ${known}` });
    }
    expect((await answer('/budgets/reconcile?fix=true')).status).toBe(200);
    expect((await answer('/telemetry/cross-check?since=1d&untl=now')).json.error.message).toContain('(did you mean "until"?)');
    expect((await answer('/budgets/reconcile?fix=1&fix=0')).json.error.message).toBe('query parameter "fix" is given 2 times: GET /admin/v1/budgets/reconcile takes it once');
    // The key is checked first, as the token is on the other routes.
    expect((await answer('/me?limit=5', { headers: { authorization: 'Bearer tg_nope' } })).status).toBe(401);
  });
});
