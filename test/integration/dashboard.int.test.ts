import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayUsd } from '../../src/core/money.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';
import { cellText as text, rowsOf } from '../../src/alerts/testing/page-rows.js';

/** $20 per million input tokens, $60 per million output. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
const SCHEMA = `tg_dashboard_${process.pid}`;
const STORES: [string, (() => Promise<Storage>) | undefined][] = [
  ['SQLite', undefined],
  ['Postgres', async () => (await dropSchemas([SCHEMA]), openPostgres({ url: TEST_PG_URL, schema: SCHEMA }))],
];

describe.each(STORES)('the dashboard on %s', (_, storage) => {
  let h: Harness;
  let cookie = '';
  const ui = (path = '/ui', init: RequestInit = {}) => fetch(`${h.url}${path}`, { redirect: 'manual', ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });
  const login = (token: string) => ui('/ui/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });

  beforeAll(async () => {
    const budget = toBudget(parseRule(budgetInput, { scope: 'team:platform', window: 'month', limit_usd: 5, name: 'Platform monthly' }), 'budget', 'config', 0);
    const review = toBudget(parseRule(budgetInput, { scope: 'tag:workflow=review', window: 'month', limit_usd: 5, name: 'Review monthly' }), 'budget', 'config', 1);
    // Model scopes match models whatever their case: this one counts the gpt-5 requests.
    const model = toBudget(parseRule(budgetInput, { scope: 'model:GPT-5', window: 'month', limit_usd: 5, name: 'GPT-5 monthly' }), 'budget', 'config', 2);
    h = await startHarness({ price, storage, policy: { rules: { budgets: [budget, review, model], rateLimits: [], modelPolicies: [] } } });
    const made = await fetch(`${h.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob', team: 'web' }) });
    const bob = ((await made.json()) as { key: string }).key;
    h.fake.setDefault({ usage: { input: 1000, output: 100 } });
    const chat = (key: string, tags: string, ua = 'node') =>
      fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-tollgate-tags': tags, 'user-agent': ua }, body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.text());
    const cli = (v: string) => `claude-cli/${v} (external, cli)`;
    await Promise.all([chat(h.key.key, 'workflow=review', cli('2.1.197')), chat(h.key.key, 'workflow=review', cli('2.1.197')), chat(h.key.key, 'workflow=triage', cli('2.1.198')), chat(bob, 'workflow=review')]);
  });
  afterAll(async () => {
    await h.close();
    if (storage) await dropSchemas([SCHEMA]);
  });

  it('asks for the admin token, refuses a wrong one, and signs in with the right one', async () => {
    const first = await ui();
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    const form = await first.text();
    expect(form).toContain('<form method="post" action="/ui/login">');
    expect(form).toContain('<title>Sign in · Tollgate</title>');
    expect(form).not.toContain('By team');

    const wrong = await login('admin-wrong!');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That is not the admin token.');
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await login('admin-secret');
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/ui');
    const set = right.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^tollgate_ui=\d+\.[\w-]{43}; Path=\/ui; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    cookie = set.split(';')[0]!;
    // Behind a TLS-terminating proxy, which says so, the cookie is Secure too.
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const proxy of [{ 'x-forwarded-proto': 'https' }, { forwarded: 'for=10.0.0.1;proto=https' }] as Record<string, string>[]) {
      const proxied = await ui('/ui/login', { method: 'POST', headers: { ...formType, ...proxy }, body: 'token=admin-secret' });
      expect(proxied.headers.get('set-cookie')).toMatch(/; SameSite=Strict; Secure$/);
    }
    const plain = await ui('/ui/login', { method: 'POST', headers: { ...formType, 'x-forwarded-proto': 'http' }, body: 'token=admin-secret' });
    expect(plain.headers.get('set-cookie')).toMatch(/; SameSite=Strict$/);
  });

  it('shows the ledger spend by team, model, user and workflow, the budget, and what changed', async () => {
    const rows = await h.rows();
    expect(rows).toHaveLength(4);
    const r = await ui();
    expect(r.status).toBe(200);
    const html = await r.text();
    // Each request: 1,000 input × $20/M + 100 output × $60/M = $0.026.
    const each = 26_000_000_000n;
    expect(rows.every((x) => x.costPicos === each)).toBe(true);
    expect(html).toContain(`<dd>${displayUsd(4n * each)} ($0.00 in the 7 days before)</dd>`);
    expect(rowsOf(html, 'By team').slice(1).map((c) => [text(c[0]), c[1], c[6], c[9]])).toEqual([
      // A column all under a dollar: one precision, enough for its smallest amount.
      ['platform', '3', '$0.078', '75.0%'],
      ['web', '1', '$0.026', '25.0%'],
    ]);
    expect(rowsOf(html, 'By user').slice(1).map((c) => text(c[0]))).toEqual(['alice', 'bob']);
    expect(rowsOf(html, 'By workflow').slice(1).map((c) => [text(c[0]), c[1]])).toEqual([['review', '3'], ['triage', '1']]);
    expect(rowsOf(html, 'By model').slice(1).map((c) => text(c[0]))).toEqual(['gpt-5']);
    const budget = rowsOf(html, 'Budgets')[1]!;
    expect(budget.slice(0, 6)).toEqual(['Platform monthly', 'team:platform', 'month', displayUsd(3n * each), '$5.00', '1%']);
    expect(rowsOf(html, 'What changed').length).toBeGreaterThan(1);
    expect(html).toContain('npx tollgate explain --from prev-7d --to last-7d');
  });

  it('narrows to one team: its users and workflows, its own change and its budget; the team links there', async () => {
    const everyone = await (await ui()).text();
    expect(rowsOf(everyone, 'By team')[1]![0]).toBe('<a href="/ui?span=7d&#38;team=platform">platform</a>');
    const r = await ui('/ui?span=7d&team=platform');
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('<title>Spend of team platform in the last 7 days · Tollgate</title>');
    // The spend and the spend before on one scale.
    expect(html).toContain('<dd>$0.078 ($0.000 in the 7 days before)</dd>');
    expect(html).toContain("Team platform&#39;s spend");
    expect(html).not.toContain('<h2>By team</h2>');
    expect(rowsOf(html, 'By user').slice(1).map((c) => [c[0], c[1], c[9]])).toEqual([['<a href="/ui?span=7d&#38;user=alice">alice</a>', '3', '100.0%']]);
    expect(rowsOf(html, 'By workflow').slice(1).map((c) => c[1])).toEqual(['2', '1']);
    expect(rowsOf(html, 'Budgets')[1]![1]).toBe('team:platform');
    const web = await (await ui('/ui?team=web')).text();
    expect(web).not.toContain('<h2>Budgets</h2>');
    expect(rowsOf(web, 'By user').slice(1).map((c) => c[1])).toEqual(['1']);
    const two = await ui('/ui?team=web&user=bob');
    expect(two.status).toBe(400);
    expect(await two.text()).toContain('narrow to one of user, team, model, provider, client, workflow at a time, not user and team');
    const twice = await ui('/ui?team=web&team=ops');
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('give team once, not 2 times');
    // One client's page adds its versions; other pages have no such table.
    const claude = await (await ui('/ui?client=claude-code')).text();
    expect(rowsOf(claude, 'By version').slice(1).map((c) => [c[0], c[1]])).toEqual([['2.1.197', '2'], ['2.1.198', '1']]);
    expect(html).not.toContain('<h2>By version</h2>');
    // A workflow's budget is its tag's.
    expect(rowsOf(await (await ui('/ui?workflow=review')).text(), 'Budgets')[1]![1]).toBe('tag:workflow=review');
    // A model's budget written in another case is that model's, as it counts its requests.
    const gpt = rowsOf(await (await ui('/ui?model=gpt-5')).text(), 'Budgets');
    expect(gpt.slice(1).map((c) => c.slice(0, 4))).toEqual([['GPT-5 monthly', 'model:GPT-5', 'month', displayUsd(4n * 26_000_000_000n)]]);
    // A group with no requests is said to have none, not given set-up advice.
    expect(await (await ui('/ui?team=nobody')).text()).toContain('No requests of team nobody in the last 7 days.');
  });

  it('takes the last day or month, and refuses any other span', async () => {
    expect(await (await ui('/ui?span=24h')).text()).toContain('<title>Spend in the last 24 hours · Tollgate</title>');
    expect(await (await ui('/ui?span=30d')).text()).toContain('<title>Spend in the last 30 days · Tollgate</title>');
    const bad = await ui('/ui?span=1y');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('span must be one of 24h, 7d, 30d');
    const twice = await ui('/ui?span=24h&span=7d');
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('give span once, not 2 times');
  });

  it('refuses a parameter it does not take rather than showing everyone as if narrowed', async () => {
    for (const [q, name] of [['project=web', 'project'], ['since=2026-11-01', 'since'], ['by=model', 'by'], ['team=web&tag=x', 'tag']]) {
      const bad = await ui(`/ui?${q}`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain(`unknown parameter &#34;${name}&#34;: the dashboard takes span (24h, 7d, 30d) and one of user, team, model, provider, client, workflow`);
    }
  });

  it('signs in to the view that was asked for (a shared link), and never to another address', async () => {
    const asked = await (await ui('/ui?team=web&span=30d', { headers: { cookie: '' } })).text();
    expect(asked).toContain('<input type="hidden" name="view" value="team=web&#38;span=30d">');
    const form = (view: string, token = 'admin-secret') => ui('/ui/login', { method: 'POST', headers: { cookie: '', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ view, token }).toString() });
    const back = await form('team=web&span=30d');
    expect([back.status, back.headers.get('location')]).toEqual([303, '/ui?team=web&span=30d']);
    // A wrong token keeps the view for the next try.
    expect(await (await form('team=web', 'admin-wrong!')).text()).toContain('name="view" value="team=web"');
    // Whatever the form holds, the address is /ui's.
    for (const view of ['//evil.example/x', 'https://evil.example', '/../admin']) expect((await form(view)).headers.get('location')).toMatch(/^\/ui\?[^/]*$/);
  });

  it('shows the sign-in form again for a changed cookie, and signs out', async () => {
    const tampered = cookie.replace(/=(\d+)\./, (_m, exp: string) => `=${Number(exp) + 1}.`);
    const html = await (await ui('/ui', { headers: { cookie: tampered } })).text();
    expect(html).toContain('action="/ui/login"');
    expect(html).not.toContain('By team');
    const out = await ui('/ui/logout', { method: 'POST' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('tollgate_ui=; Path=/ui; Max-Age=0');
  });

  it('answers what it does not serve with a page, never an API row', async () => {
    await h.mark();
    expect((await ui('/ui/nothing')).status).toBe(404);
    const again = await ui('/ui/login');
    expect([again.status, again.headers.get('location'), again.headers.get('set-cookie')]).toEqual([303, '/ui', null]);
    expect((await ui('/ui', { method: 'DELETE' })).status).toBe(405);
    const big = await ui('/ui/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(8 * 1024)}` });
    expect(big.status).toBe(413);
    expect(await h.rows()).toHaveLength(0);
  });
});
