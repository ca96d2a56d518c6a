import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import { KeyResolver } from '../identity/key-resolver.js';
import { type CreatedKey, createKey } from '../identity/key-service.js';
import { budgetCounter } from '../policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../policy/rule-input.js';
import type { ConfigRules } from '../policy/rule-book.js';
import type { PolicySettings } from '../policy/settings.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { createHttpServer } from './http-server.js';
import { testRuntime } from './testing/policy-runtime.js';

const TOKEN = 'adm-token';
const configBudget = toBudget(parseRule(budgetInput, { id: 'cfg-alice', scope: 'user:alice', window: 'day', limit_usd: 40 }), 'budget', 'config', 0);

interface Setup {
  url: string;
  storage: Storage;
  runtime: Awaited<ReturnType<typeof testRuntime>>;
  alice: CreatedKey;
}

let server: Server | undefined;
let storage: Storage | undefined;

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await storage?.close();
  server = undefined;
  storage = undefined;
});

async function start(o: { token?: string | null; rules?: Partial<ConfigRules>; settings?: Partial<PolicySettings>; policy?: boolean } = {}): Promise<Setup> {
  storage = openSqlite(':memory:');
  const runtime = await testRuntime(storage, { rules: o.rules ?? { budgets: [configBudget] }, settings: o.settings });
  const http = createHttpServer({
    gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
    admin: { storage, keys: new KeyResolver(storage.keys), token: o.token === null ? undefined : (o.token ?? TOKEN), flush: () => Promise.resolve(), policy: o.policy === false ? undefined : runtime },
    ready: () => Promise.resolve(true),
    log: silentLogger,
  });
  server = http;
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const alice = await createKey(storage.keys, { user: 'alice', team: 'platform', project: 'web' });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, storage, runtime, alice };
}

type Item = Record<string, unknown>;
/** A response body, loosely typed: the tests compare it with expectations. */
type Body = Item & { data: Item[]; error: { code: string; message: string } };

async function call(s: Setup, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Body }> {
  const res = await fetch(`${s.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Body };
}

describe('admin API: budgets, pools, rate limits, model policies', () => {
  it('creates, lists, updates and deletes budgets; money is decimal text; every change is audited', async () => {
    const s = await start();
    const created = await call(s, 'POST', '/budgets', { scope: 'team:platform', window: 'month', limit_usd: '400.10', pool: 'later-pool', thresholds: [80, 50] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'budget:team:platform:month', kind: 'budget', scope: 'team:platform', window: 'month', limit_usd: '400.1', thresholds: [50, 80], pool: 'later-pool', source: 'api' });

    const updated = await call(s, 'POST', '/budgets', { scope: 'team:platform', window: 'month', limit_usd: 500 });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ limit_usd: '500', created_at: created.json.created_at });
    await call(s, 'POST', '/budgets', { scope: 'user:bob', window: 'day', limit_usd: 5, pool: 'later-pool' });

    const list = await call(s, 'GET', '/budgets');
    expect(list.json.data.map((b) => [b.id, b.source, b.limit_usd])).toEqual([
      ['cfg-alice', 'config', '40'],
      ['budget:team:platform:month', 'api', '500'],
      ['budget:user:bob:day', 'api', '5'],
    ]);
    expect(list.json.data[2]!.warnings).toEqual(['pool "later-pool" does not exist: the budget cannot draw on it until it is created']);
    expect(s.runtime.rules.current().budgets.map((b) => b.id)).toContain('budget:user:bob:day');

    expect((await call(s, 'POST', '/pools', { id: 'later-pool', scope: 'team:platform', window: 'month', limit_usd: 1000 })).status).toBe(201);
    expect((await call(s, 'GET', '/budgets')).json.data[2]!.warnings).toBeUndefined();
    expect((await call(s, 'GET', '/pools')).json.data).toEqual([expect.objectContaining({ id: 'later-pool', kind: 'pool', limit_usd: '1000' })]);
    expect((await call(s, 'POST', '/budgets', { id: 'later-pool', scope: 'user:x', window: 'day', limit_usd: 1 })).json.error.message).toMatch(/later-pool is already a pool/);

    const deleted = await call(s, 'DELETE', '/budgets/budget%3Auser%3Abob%3Aday');
    expect(deleted).toMatchObject({ status: 200, json: { deleted: true, rule: { id: 'budget:user:bob:day' } } });
    expect((await call(s, 'DELETE', '/budgets/budget:user:bob:day')).status).toBe(404);
    expect((await call(s, 'DELETE', '/budgets/later-pool')).json.error.message).toBe('no budget later-pool (later-pool is a pool)');
    expect((await call(s, 'DELETE', '/pools/later-pool')).status).toBe(200);
    expect(s.runtime.rules.current().budgets.map((b) => b.id)).toEqual(['cfg-alice', 'budget:team:platform:month']);

    const audit = await call(s, 'GET', '/audit?since=1h');
    expect(audit.json.data.map((e) => [e.actor, e.action, e.subject]).reverse()).toEqual([
      ['admin-api', 'budget.set', 'budget:team:platform:month'],
      ['admin-api', 'budget.set', 'budget:team:platform:month'],
      ['admin-api', 'budget.set', 'budget:user:bob:day'],
      ['admin-api', 'pool.set', 'pool:later-pool'],
      ['admin-api', 'budget.delete', 'budget:user:bob:day'],
      ['admin-api', 'pool.delete', 'pool:later-pool'],
    ]);
    expect(audit.json.data.at(-1)).toMatchObject({ details: { rule: { limit_usd: '400.1' } } });
    expect((await call(s, 'GET', '/audit?limit=2')).json.data).toHaveLength(2);
  });

  it('refuses to change or delete a rule from the config file (409)', async () => {
    const s = await start();
    const put = await call(s, 'POST', '/budgets', { id: 'cfg-alice', scope: 'user:alice', window: 'day', limit_usd: 1000 });
    expect(put.status).toBe(409);
    expect(put.json.error.message).toMatch(/budget cfg-alice is declared in the config file: change or remove it there/);
    expect((await call(s, 'DELETE', '/budgets/cfg-alice')).status).toBe(409);
    expect((await call(s, 'GET', '/audit')).json.data).toEqual([]);
  });

  it('names the bad field in a 400, and answers 405 and 404 for wrong routes', async () => {
    const s = await start();
    const bad = await call(s, 'POST', '/budgets', { scope: 'user:alice', window: 'fortnight', limit_usd: 1 });
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', message: expect.stringMatching(/^window: window "fortnight"/) } } });
    expect((await call(s, 'POST', '/budgets', { scope: 'user:alice', window: 'day', limit_usd: 1, extra: 1 })).json.error.message).toMatch(/extra/);
    expect((await call(s, 'POST', '/budgets', undefined)).status).toBe(400);
    const huge = await call(s, 'POST', '/budgets', { scope: 'user:alice', window: 'day', limit_usd: '1e400' });
    expect(huge).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^limit_usd: .*must be at most 1000000000000/) } } });
    expect((await call(s, 'POST', '/budgets', { scope: 'user:alice', window: 'day', limit_usd: '1000000000000' })).status).toBe(201);
    expect((await call(s, 'PUT', '/budgets')).status).toBe(405);
    expect((await call(s, 'GET', '/nothing')).status).toBe(404);
  });

  it('says what an amount may be when it is not a number or text, or past what a number holds (1e400)', async () => {
    const s = await start();
    const post = async (path: string, json: string) => {
      const res = await fetch(`${s.url}/admin/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: json });
      return { status: res.status, message: ((await res.json()) as Body).error.message };
    };
    const usd = (field: string, why: string) => ({ status: 400, message: `${field}: must be a USD amount such as 40 or 12.50 (${why}, at most 1000000000000)` });
    for (const path of ['/budgets', '/pools']) {
      expect(await post(path, '{"scope":"team:platform","window":"month","limit_usd":1e400}')).toEqual(usd('limit_usd', 'must be finite'));
      for (const v of ['true', 'null', '[]']) expect(await post(path, `{"scope":"team:platform","window":"month","limit_usd":${v}}`)).toEqual(usd('limit_usd', 'a number of US dollars'));
    }
    const filing = (v: string) => `{"scope":"user:alice","amount_usd":${v},"hours":2,"reason":"release"}`;
    expect(await post('/increases', filing('1e400'))).toEqual(usd('amount_usd', 'must be finite'));
    expect(await post('/increases', filing('true'))).toEqual(usd('amount_usd', 'a number of US dollars'));
  });

  it('manages rate limits and model policies the same way', async () => {
    const s = await start();
    const limit = await call(s, 'POST', '/rate-limits', { scope: 'user:alice', rpm: 60, concurrency: 4 });
    expect(limit).toMatchObject({ status: 201, json: { id: 'limit:user:alice', rpm: 60, tpm: null, concurrency: 4, source: 'api' } });
    expect((await call(s, 'POST', '/rate-limits', { scope: 'user:alice' })).json.error.message).toMatch(/set at least one of rpm, tpm, concurrency/);
    const policy = await call(s, 'POST', '/model-policies', { scope: 'team:web', deny: ['*opus*'], rewrite: [{ from: 'gpt-5', to: 'gpt-5-mini' }], allow_keep: false });
    expect(policy).toMatchObject({ status: 201, json: { id: 'models:team:web', deny: ['*opus*'], rewrite: [{ from: 'gpt-5', to: 'gpt-5-mini' }], allow_keep: false } });
    expect((await call(s, 'GET', '/rate-limits')).json.data).toHaveLength(1);
    expect((await call(s, 'GET', '/model-policies')).json.data).toHaveLength(1);
    expect(s.runtime.rules.current().modelPolicies).toHaveLength(1);
    expect((await call(s, 'DELETE', '/rate-limits/limit:user:alice')).status).toBe(200);
    expect((await call(s, 'DELETE', '/model-policies/models:team:web')).status).toBe(200);
    expect(s.runtime.rules.current()).toMatchObject({ rateLimits: [], modelPolicies: [] });
    expect((await call(s, 'GET', '/audit')).json.data.map((e) => e.action).reverse()).toEqual(['ratelimit.set', 'modelpolicy.set', 'ratelimit.delete', 'modelpolicy.delete']);
  });

  it('answers 503 without the admin token or without spend controls', async () => {
    const off = await start({ token: null });
    expect((await call(off, 'GET', '/budgets')).json.error.code).toBe('admin_disabled');
    await new Promise((r) => server!.close(r));
    await storage!.close();
    const none = await start({ policy: false });
    expect((await call(none, 'GET', '/budgets')).json.error.code).toBe('policy_disabled');
    expect((await call(none, 'GET', '/budgets', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });
});

describe('admin API: increases', () => {
  it('files, approves once (409 the second time), and raises the limit in force', async () => {
    const s = await start();
    const filed = await call(s, 'POST', '/increases', { scope: 'user:alice', amount_usd: '25.50', hours: 24, reason: 'release week', requested_by: 'alice' });
    expect(filed).toMatchObject({ status: 201, json: { scope: 'user:alice', amount_usd: '25.5', hours: 24, status: 'pending', requested_by: 'alice' } });
    const id = filed.json.id as string;
    expect((await call(s, 'GET', '/increases?status=pending')).json.data.map((i) => i.id)).toEqual([id]);

    const approved = await call(s, 'POST', `/increases/${id}/approve`, { note: 'ok' }, { 'x-tollgate-actor': 'bob' });
    expect(approved).toMatchObject({ status: 200, json: { status: 'approved', decided_by: 'bob', note: 'ok' } });
    expect(Date.parse(approved.json.expires_at as string) - Date.parse(approved.json.decided_at as string)).toBe(24 * 3_600_000);
    const again = await call(s, 'POST', `/increases/${id}/approve`);
    expect(again).toMatchObject({ status: 409, json: { error: { message: `increase ${id} is already approved` } } });
    expect((await call(s, 'POST', `/increases/${id}/deny`)).status).toBe(409);
    expect((await call(s, 'POST', '/increases/inc_nope/approve')).status).toBe(404);

    const rules = s.runtime.rules.current();
    expect(budgetCounter('', configBudget, rules, Date.now(), 'UTC').line.limit).toBe(usd('65.5'));
    const audit = (await call(s, 'GET', '/audit')).json.data.map((e) => [e.actor, e.action]);
    expect(audit.reverse()).toEqual([
      ['alice', 'increase.request'],
      ['bob', 'increase.approve'],
    ]);
  });

  it('validates filings: a scope or budget, a positive amount, hours and a reason', async () => {
    const s = await start();
    const file = (body: Record<string, unknown>) => call(s, 'POST', '/increases', { amount_usd: 5, hours: 2, reason: 'x', requested_by: 'a', ...body });
    expect((await file({})).json.error.message).toBe('scope: is required (or name a budget_id)');
    expect((await file({ scope: 'user:alice', amount_usd: 0 })).json.error.message).toBe('amount must be more than 0');
    expect((await file({ scope: 'user:alice', hours: 0.5 })).json.error.message).toMatch(/hours must be a whole number/);
    // Approved, it would raise nothing: refused, naming the scope, and nothing is filed.
    const none = await file({ scope: 'user:bob' });
    expect(none).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', message: 'scope: there is no budget or pool on user:bob to raise (set one first, or name a budget_id)' } } });
    expect((await call(s, 'GET', '/increases')).json.data).toEqual([]);
    expect((await file({ budget_id: 'nope' })).json.error.message).toBe('budget_id: there is no budget or pool nope');
    expect(await file({ budget_id: 'cfg-alice' })).toMatchObject({ status: 201, json: { scope: 'user:alice', budget_id: 'cfg-alice' } });
    // A scope that is not the budget's would show the approver one scope and raise another's budget.
    const mismatched = await file({ scope: 'user:bob', budget_id: 'cfg-alice' });
    expect(mismatched).toMatchObject({ status: 400, json: { error: { message: 'scope: user:bob is not the scope of cfg-alice (user:alice); leave it out, or name a budget on user:bob' } } });
    expect(await file({ scope: 'user:alice', budget_id: 'cfg-alice' })).toMatchObject({ status: 201 });
    expect((await call(s, 'GET', '/increases?status=open')).status).toBe(400);
  });
});

describe('admin API: status, reconcile, health', () => {
  it('gives a rolling budget the window it counts, in status and in reconcile, as /me does', async () => {
    const s = await start();
    expect((await call(s, 'POST', '/budgets', { scope: 'user:alice', window: '2h', limit_usd: 10, id: 'alice-2h' })).status).toBe(201);
    const before = Date.now();
    const status = (await call(s, 'GET', '/budgets/status')).json.data.find((b) => b.id === 'alice-2h')!;
    const reconcile = (await call(s, 'GET', '/budgets/reconcile')).json.data.find((b) => b.budget_id === 'alice-2h')!;
    for (const start of [status.window_start, reconcile.window_start]) {
      const back = before - Date.parse(String(start));
      // Two hours back, give or take one of its 60 buckets (2 minutes): not the current bucket.
      expect(back).toBeGreaterThanOrEqual(2 * 3_600_000 - 1000);
      expect(back).toBeLessThan(2 * 3_600_000 + 2 * 60_000 + 1000);
    }
  });

  it('reports spend per budget, finds drift from the ledger and fixes it', async () => {
    const s = await start();
    const rules = s.runtime.rules.current();
    const c = budgetCounter(s.runtime.settings.keyPrefix, configBudget, rules, Date.now(), 'UTC');
    await s.runtime.counters.initialize([{ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [{ bucket: c.line.buckets[0]!, amount: usd('12.5') }] }]);

    const status = await call(s, 'GET', '/budgets/status');
    expect(status.json.data).toEqual([expect.objectContaining({ id: 'cfg-alice', limit_usd: '40', spent_usd: '12.5', remaining_usd: '27.5', used_percent: 31, source: 'config' })]);

    const drift = await call(s, 'GET', '/budgets/reconcile');
    expect(drift.json).toEqual({ fix: false, data: [expect.objectContaining({ budget_id: 'cfg-alice', counted_usd: '12.5', ledger_usd: '0', drift_usd: '12.5', initialized: true, fixed: false })], ended_holds: 0, released_holds: 0 });
    const maybe = await call(s, 'GET', '/budgets/reconcile?fix=maybe');
    expect(maybe).toMatchObject({ status: 400, json: { error: { message: 'fix must be true or false, not "maybe"' } } });
    const fixed = await call(s, 'GET', '/budgets/reconcile?fix=true');
    expect(fixed.json.data[0]!).toMatchObject({ drift_usd: '12.5', fixed: true });
    expect((await call(s, 'GET', '/budgets/reconcile')).json.data[0]).toMatchObject({ counted_usd: '0', drift_usd: '0' });
    expect((await call(s, 'GET', '/audit')).json.data[0]).toMatchObject({ action: 'budget.reconcile', details: { fixed: [{ budget_id: 'cfg-alice', drift_usd: '12.5' }] } });
  });

  it('with fix, releases the holds of requests whose row is in the ledger (their cost then counted from the ledger), not those of requests in flight', async () => {
    const s = await start();
    const now = Date.now();
    const c = budgetCounter(s.runtime.settings.keyPrefix, configBudget, s.runtime.rules.current(), now, 'UTC');
    await s.runtime.counters.initialize([{ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }]);
    // A request that ended (its fallback's hold too) whose settlement never reached the counters, and one still in flight.
    for (const id of ['ended', 'ended~1', 'live']) await s.runtime.counters.reserve({ id, now, leaseMs: 1_800_000, amount: usd('5'), groups: [{ lines: [c.line], pool: null }], rates: [] });
    await s.storage.ledger.insert([sampleRow({ id: 'ended', ts: now, costPicos: usd('3'), keyId: s.alice.id })]);

    const looked = await call(s, 'GET', '/budgets/reconcile');
    expect(looked.json).toMatchObject({ fix: false, ended_holds: 2, released_holds: 0, data: [{ counted_usd: '0', ledger_usd: '3', drift_usd: '-3' }] });
    expect((await s.runtime.counters.read([c.line]))[0]).toMatchObject({ spent: 0n, held: usd('15') });
    const fixed = await call(s, 'GET', '/budgets/reconcile?fix=true');
    expect(fixed.json).toMatchObject({ fix: true, ended_holds: 2, released_holds: 2, data: [{ drift_usd: '-3', fixed: true }] });
    expect((await s.runtime.counters.read([c.line]))[0]).toMatchObject({ spent: usd('3'), held: usd('5') });
    // Settled again (the replica that served it, applying what it kept): nothing changes.
    expect(await s.runtime.counters.settle([{ id: 'ended', actual: usd('3'), tokens: 10 }], now)).toEqual([undefined]);
    expect((await call(s, 'GET', '/budgets/reconcile')).json).toMatchObject({ ended_holds: 0, data: [{ drift_usd: '0' }] });
    expect((await call(s, 'GET', '/audit')).json.data[0]).toMatchObject({ action: 'budget.reconcile', details: { released_holds: 2 } });
  });

  it('reports the counters and the enforcer', async () => {
    const s = await start();
    const health = await call(s, 'GET', '/policy/health');
    expect(health).toMatchObject({ status: 200, json: { status: 'ok', counters: { ok: true }, enforcer: { admitted: 0, fail_open: 0, fail_closed: 0, settlements_waiting: 0, settlements_dropped: 0, settlements_lapsed: 0 }, rules: { budgets: 1, pools: 0 } } });
  });
});

describe('signed approval links', () => {
  it('are off (404) unless the runtime has a signing secret', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/approvals/inc_x/approve?sig=x`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Body).error.message).toMatch(/^Signed approval links are off/);
  });
});

describe('/admin/v1/me: a developer with a virtual key', () => {
  it('shows the key, the budgets that apply with USD strings, increases and rate limits, without the admin token', async () => {
    const s = await start({ token: null });
    await s.storage.policy.putRateLimit({ id: 'l1', name: null, scope: { kind: 'team', value: 'platform' }, rpm: 10, tpm: null, concurrency: null, fail: 'open', source: 'api', createdAt: 1 });
    await s.storage.policy.putRateLimit({ id: 'l2', name: null, scope: { kind: 'team', value: 'other' }, rpm: 10, tpm: null, concurrency: null, fail: 'open', source: 'api', createdAt: 1 });
    await s.runtime.rules.refresh();
    const me = await call(s, 'GET', '/me', undefined, { authorization: `Bearer ${s.alice.key}` });
    expect(me.status).toBe(200);
    expect(await call(s, 'GET', '/me/nothing', undefined, { authorization: `Bearer ${s.alice.key}` })).toMatchObject({ status: 404 });
    expect(me.json.key).toEqual({ id: s.alice.id, name: null, user: 'alice', team: 'platform', project: 'web', expires_at: null });
    expect(me.json.budgets).toEqual([expect.objectContaining({ budget_id: 'cfg-alice', scope: 'user:alice', window: 'day', applies: 'always', limit_usd: '40', spent_usd: '0', remaining_usd: '40', used_percent: 0 })]);
    expect(me.json.budgets).toMatchObject([{ resets_at: expect.stringMatching(/T00:00:00\.000Z$/) }]);
    expect(me.json.rate_limits).toEqual([expect.objectContaining({ id: 'l1', rpm: 10, applies: 'always' })]);

    const asked = await call(s, 'POST', '/me/increases', { amount_usd: 10, hours: 8, reason: 'demo' }, { 'x-api-key': s.alice.key, authorization: '' });
    expect(asked).toMatchObject({ status: 201, json: { scope: 'user:alice', requested_by: 'alice', status: 'pending', amount_usd: '10' } });
    expect(s.runtime.events.seen.map((e) => e.type)).toEqual(['requested']);
    const after = await call(s, 'GET', '/me', undefined, { authorization: `Bearer ${s.alice.key}` });
    expect(after.json.increases).toEqual([expect.objectContaining({ id: asked.json.id, status: 'pending' })]);
  });

  it('shows percentages only when amounts are hidden', async () => {
    const s = await start({ settings: { showAmounts: false } });
    const me = await call(s, 'GET', '/me', undefined, { authorization: `Bearer ${s.alice.key}` });
    expect(me.json.show_amounts).toBe(false);
    const [budget] = me.json.budgets as Item[];
    expect(Object.keys(budget!).filter((k) => k.endsWith('_usd'))).toEqual([]);
    expect(budget!.used_percent).toBe(0);
  });

  it('lets a developer ask only for their own scopes (403 otherwise)', async () => {
    const s = await start();
    const ask = (body: Record<string, unknown>) => call(s, 'POST', '/me/increases', { amount_usd: 1, hours: 1, reason: 'r', ...body }, { authorization: `Bearer ${s.alice.key}` });
    // Her own scope, but no budget on it: nothing to raise.
    expect(await ask({ scope: 'team:platform' })).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', message: expect.stringMatching(/^scope: there is no budget or pool on team:platform to raise/) } } });
    await call(s, 'POST', '/budgets', { id: 'platform', scope: 'team:platform', window: 'day', limit_usd: 1 });
    await call(s, 'POST', '/budgets', { id: 'alices-key', scope: `key:${s.alice.id}`, window: 'day', limit_usd: 1 });
    expect((await ask({ scope: 'team:platform' })).status).toBe(201);
    expect((await ask({ scope: `key:${s.alice.id}` })).status).toBe(201);
    const other = await ask({ scope: 'team:web' });
    expect(other).toMatchObject({ status: 403, json: { error: { code: 'forbidden', message: expect.stringMatching(/team:platform, project:web, not team:web/) } } });
    await call(s, 'POST', '/budgets', { id: 'bobs', scope: 'user:bob', window: 'day', limit_usd: 1 });
    expect((await ask({ budget_id: 'bobs' })).status).toBe(403);
    expect((await ask({ budget_id: 'cfg-alice' })).json).toMatchObject({ scope: 'user:alice', budget_id: 'cfg-alice' });
    // A budget of her team's, named alone, is asked for on its scope (not on her user, which is not its scope).
    expect(await ask({ budget_id: 'platform' })).toMatchObject({ status: 201, json: { scope: 'team:platform', budget_id: 'platform' } });
    expect((await ask({ hours: 0 })).status).toBe(400);
  });

  it('reads the key and the admin token whatever the case of the Bearer scheme, as the gateway does', async () => {
    const s = await start();
    expect((await call(s, 'GET', '/me', undefined, { authorization: `bearer ${s.alice.key}` })).status).toBe(200);
    expect((await call(s, 'GET', '/budgets', undefined, { authorization: `BEARER ${TOKEN}` })).status).toBe(200);
    expect((await call(s, 'GET', '/budgets', undefined, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
  });

  it('answers 401 for no key, an unknown key and a revoked key', async () => {
    const s = await start();
    expect((await call(s, 'GET', '/me')).json.error.code).toBe('missing_api_key');
    expect((await call(s, 'GET', '/me', undefined, { authorization: 'Bearer tg_unknown' })).json.error.code).toBe('invalid_api_key');
    // A path under /me that names no route is a 401 too without a key (a 404 only with one).
    expect(await call(s, 'GET', '/me/nothing')).toMatchObject({ status: 401, json: { error: { code: 'missing_api_key' } } });
    await s.storage.keys.revoke(s.alice.id, Date.now());
    const revoked = await call(s, 'GET', '/me', undefined, { authorization: `Bearer ${s.alice.key}` });
    expect(revoked).toMatchObject({ status: 401, json: { error: { code: 'revoked_api_key' } } });
  });
});
