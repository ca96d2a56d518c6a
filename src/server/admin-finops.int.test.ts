import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import { KeyResolver } from '../identity/key-resolver.js';
import { createKey } from '../identity/key-service.js';
import { budgetInput, parseRule, toBudget } from '../policy/rule-input.js';
import type { PolicySettings } from '../policy/settings.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { createHttpServer } from './http-server.js';
import { testRuntime } from './testing/policy-runtime.js';

const TOKEN = 'adm-token';
let server: Server | undefined;
let storage: Storage | undefined;
let runtime: Awaited<ReturnType<typeof testRuntime>> | undefined;

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await storage?.close();
});

// Thursday 2026-10-15 12:00 UTC.
const NOW = Date.UTC(2026, 9, 15, 12);

async function start(policy = true, settings: Partial<PolicySettings> = {}): Promise<string> {
  storage = openSqlite(':memory:');
  const budget = toBudget(parseRule(budgetInput, { id: 'platform-month', scope: 'team:platform', window: 'month', limit_usd: 300 }), 'budget', 'config', 0);
  runtime = await testRuntime(storage, { rules: { budgets: [budget] }, settings, now: () => NOW });
  const http = createHttpServer({
    gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
    admin: { storage, keys: new KeyResolver(storage.keys), token: TOKEN, flush: () => Promise.resolve(), policy: policy ? runtime : undefined },
    ready: () => Promise.resolve(true),
    log: silentLogger,
  });
  server = http;
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/admin/v1`;
}

type Body = Record<string, unknown> & { data: Record<string, unknown>[]; error: { code: string; message: string } };

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; json: Body }> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Body };
}

describe('admin API: outcomes and forecasts', () => {
  it('records outcomes once per id, refuses bad ones by field, lists and reports them', async () => {
    const base = await start();
    await storage!.ledger.insert([sampleRow({ id: 'r1', ts: NOW - 3_600_000, user: 'alice', sessionId: 's1', costPicos: usd(6) })]);
    const first = await call(`${base}/outcomes`, 'POST', { kind: 'pr_merged', session: 's1', user: 'alice', id: 'https://git/pr/1', ts: new Date(NOW - 60_000).toISOString(), value: 2 });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ id: 'https://git/pr/1', kind: 'pr_merged', session: 's1', user: 'alice', tag: null, value: 2, created: true });
    const again = await call(`${base}/outcomes`, 'POST', { kind: 'ticket_closed', user: 'bob', id: 'https://git/pr/1' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ kind: 'pr_merged', created: false });

    for (const [body, message] of [
      [{ user: 'a' }, /^kind: /],
      [{ kind: 'pr_merged' }, /needs a session, a user or a tag/],
      [{ kind: 'pr_merged', user: 'a', tag: 'nope' }, /^tag: must be name=value/],
      [{ kind: 'pr_merged', user: 'a', value: -1 }, /^value: /],
      [{ kind: 'pr_merged', user: 'a', ts: 'yesterday' }, /^ts: /],
      // Past the last date JavaScript can print: it was stored, then every list of outcomes failed.
      [{ kind: 'pr_merged', user: 'a', ts: 9_000_000_000_000_000, id: 'far' }, /^ts: /],
      [{ kind: 'pr_merged', user: 'a', ts: '2026-02-31T10:00:00Z' }, /^ts: /],
      [{ kind: 'pr_merged', user: 'a', colour: 'red' }, /^colour: unknown field/],
    ] as const) {
      const bad = await call(`${base}/outcomes`, 'POST', body);
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('invalid_request');
      expect(bad.json.error.message).toMatch(message);
    }
    const notJson = await fetch(`${base}/outcomes`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(400);

    const list = await call(`${base}/outcomes?since=2026-10-01&kind=pr_merged`, 'GET');
    expect(list.status).toBe(200);
    expect(list.json.data.map((o) => o.id)).toEqual(['https://git/pr/1']);
    const report = await call(`${base}/outcomes/report?since=2026-10-15&by=user`, 'GET');
    expect(report.json.rows).toEqual([expect.objectContaining({ user: 'alice', spend_usd: '6', outcomes: 2, cost_per_outcome_usd: '3', session_spend_usd: '6' })]);
    expect((await call(`${base}/outcomes/report?by=colour`, 'GET')).status).toBe(400);
    const xml = await call(`${base}/outcomes/report?by=user&format=xml`, 'GET');
    expect(xml.status).toBe(400);
    expect(xml.json.error.message).toBe('format must be json or csv, not "xml"');
    expect((await call(`${base}/outcomes`, 'DELETE')).status).toBe(405);
  });

  it('forecasts each budget from the ledger, and says when spend controls are off', async () => {
    const base = await start();
    // $10 a day for platform from 1 September, plus $5 this morning.
    const rows = [];
    for (let d = Date.UTC(2026, 8, 1, 9); d < NOW; d += 86_400_000) rows.push(sampleRow({ id: `r${d}`, ts: d, team: 'platform', costPicos: usd(d > Date.UTC(2026, 9, 15) ? 5 : 10) }));
    await storage!.ledger.insert(rows);
    const res = await call(`${base}/forecast`, 'GET');
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual([
      expect.objectContaining({ budget_id: 'platform-month', scope: 'team:platform', window: 'month', spent_usd: '145', daily_rate_usd: '10', projected_usd: '310', limit_usd: '300', runs_out_at: '2026-10-31T00:00:00.000Z', status: 'will_run_out', method: 'weekday' }),
    ]);
    expect((await call(`${base}/forecast?budget=nope`, 'GET')).status).toBe(404);
    expect((await call(`${base}/forecast?lookback=3`, 'GET')).status).toBe(400);
    await new Promise((r) => server!.close(r));
    await storage!.close();
    const off = await start(false);
    expect((await call(`${off}/forecast`, 'GET')).json.error.code).toBe('policy_disabled');
  });

  it('projects past an approved increase with the limit it lapses back to', async () => {
    const base = await start();
    const rows = [];
    for (let d = Date.UTC(2026, 8, 1, 9); d < NOW; d += 86_400_000) rows.push(sampleRow({ id: `r${d}`, ts: d, team: 'platform', costPicos: usd(d > Date.UTC(2026, 9, 15) ? 5 : 10) }));
    await storage!.ledger.insert(rows);
    // +$100 for two days: $400 now, $300 again from 17 October, noon.
    const filed = await call(`${base}/increases`, 'POST', { scope: 'team:platform', amount_usd: 100, hours: 48, reason: 'demo', requested_by: 'alice' });
    expect((await call(`${base}/increases/${filed.json.id as string}/approve`, 'POST')).status).toBe(200);
    await runtime!.rules.refresh();
    const res = await call(`${base}/forecast`, 'GET');
    // $310 by the month's end fits $400 but not the $300 in force then.
    expect(res.json.data).toEqual([expect.objectContaining({ limit_usd: '400', projected_usd: '310', runs_out_at: '2026-10-31T00:00:00.000Z', status: 'will_run_out' })]);
  });

  it('shows each budget forecast in /budgets/status and in a developer /me', async () => {
    const base = await start();
    const rows = [];
    for (let d = Date.UTC(2026, 8, 1, 9); d < NOW; d += 86_400_000) rows.push(sampleRow({ id: `r${d}`, ts: d, team: 'platform', costPicos: usd(d > Date.UTC(2026, 9, 15) ? 5 : 10) }));
    await storage!.ledger.insert(rows);
    const expected = { status: 'will_run_out', method: 'weekday', daily_rate_usd: '10', projected_usd: '310', projected_percent: 103.3, runs_out_at: '2026-10-31T00:00:00.000Z' };
    const status = await call(`${base}/budgets/status`, 'GET');
    expect(status.json.data).toEqual([expect.objectContaining({ id: 'platform-month', forecast: expected })]);

    const bob = await createKey(storage!.keys, { user: 'bob', team: 'platform', project: null });
    const me = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${bob.key}` } });
    const body = (await me.json()) as { budgets: Record<string, unknown>[] };
    expect(body.budgets).toEqual([expect.objectContaining({ budget_id: 'platform-month', forecast: expected })]);
  });

  it('shows a first-day forecast from the pace of today, and hides amounts when the gateway shows percentages only', async () => {
    const base = await start(true, { showAmounts: false });
    const bob = await createKey(storage!.keys, { user: 'bob', team: 'platform', project: null });
    await storage!.ledger.insert([sampleRow({ id: 'today', ts: NOW - 3_600_000, team: 'platform', costPicos: usd(30) })]);
    const me = (await (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${bob.key}` } })).json()) as { budgets: Record<string, unknown>[] };
    // $30 by noon is $60 a day: the $300 month is gone by 20 October.
    expect(me.budgets[0]!.forecast).toEqual({ status: 'will_run_out', method: 'today', projected_percent: 340, runs_out_at: '2026-10-20T00:00:00.000Z' });
    // The counters still answer when the ledger cannot be read: status is shown, without a forecast.
    runtime!.forecast = () => Promise.reject(new Error('ledger down'));
    const down = (await (await fetch(`${base}/me`, { headers: { authorization: `Bearer ${bob.key}` } })).json()) as { budgets: Record<string, unknown>[] };
    expect(down.budgets).toEqual([expect.objectContaining({ budget_id: 'platform-month', used_percent: 10, forecast: null })]);
  });
});
