import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellText, rowsOf } from '../../src/alerts/testing/page-rows.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { parseCsv } from '../support/csv.js';
import { type Served, serve, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;
const env = { UPSTREAM_KEY: 'x' };
const month = new Date().toISOString().slice(0, 7);

/** Sums decimal USD text exactly, in picodollars. */
function picos(text: string): bigint {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole!) * 10n ** 12n + BigInt(frac.padEnd(12, '0'));
}


beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-finops-e2e-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'storage: { sqlite: ./data/tollgate.db }',
      'providers:',
      '  - { name: openai, dialect: openai, base_url: "' + fake.url + '", api_key: "${UPSTREAM_KEY}", catalog: openai }',
      'pricing: { discounts: { openai: 0.1 } }',
      'budgets:',
      '  - { id: platform-month, scope: team:platform, window: month, limit_usd: 1 }',
      '',
    ].join('\n'),
  );
  gw = await serve(['--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'sk-fake', TOLLGATE_ADMIN_TOKEN: 'adm' } });
  const created = await tollgate(['keys', 'create', '--user', 'alice', '--team', 'platform', '--json', '--config', config], { cwd: dir, env });
  const key = (JSON.parse(created.stdout) as { key: string }).key;
  const anon = await tollgate(['keys', 'create', '--user', 'bob', '--json', '--config', config], { cwd: dir, env });
  const bobKey = (JSON.parse(anon.stdout) as { key: string }).key;
  // gpt-5: 2,000 × $1.25/M + 8,000 × $0.125/M + 500 × $10/M = $0.0085; 10% off: $0.00765 a request.
  fake.setDefault({ usage: { input: 2000, cacheRead: 8000, output: 500 } });
  for (const [k, session] of [[key, 's-1'], [key, 's-1'], [key, 's-2'], [bobKey, 's-3']] as const) {
    const client = new OpenAI({ apiKey: k, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-session': session } });
  }
  // Rows are committed in batches; the admin report flushes them.
  await fetch(`${gw.url}/admin/v1/report`, { headers: { authorization: 'Bearer adm' } });
});
afterAll(async () => {
  await gw?.stop();
  await fake.close();
});

describe('the built CLI: forecasts, outcomes, FOCUS export and chargeback', () => {
  it('records outcomes from the CLI and the admin API once per id, and reports cost per outcome', async () => {
    const add = await tollgate(['outcomes', 'add', '--kind', 'pr_merged', '--session', 's-1', '--id', 'pr-1', '--config', config], { cwd: dir, env });
    expect(add.stdout).toContain('Recorded outcome pr-1 (pr_merged)');
    expect((await tollgate(['outcomes', 'add', '--kind', 'pr_merged', '--session', 's-1', '--id', 'pr-1', '--config', config], { cwd: dir, env })).stdout).toContain('already recorded');
    const post = await fetch(`${gw.url}/admin/v1/outcomes`, { method: 'POST', headers: { authorization: 'Bearer adm', 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'pr_merged', session: 's-2', id: 'pr-2' }) });
    expect(post.status).toBe(201);
    const bad = await tollgate(['outcomes', 'add', '--kind', 'pr_merged', '--tag', 'oops', '--config', config], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tag: must be name=value');

    const report = await tollgate(['outcomes', 'report', '--by', 'user', '--kind', 'pr_merged', '--format', 'json', '--config', config], { cwd: dir, env });
    expect(report.code).toBe(0);
    const json = JSON.parse(report.stdout) as { rows: Record<string, unknown>[] };
    // alice: 3 requests ($0.02295) and 2 merged PRs; her PR sessions spent all of it.
    expect(json.rows[0]).toMatchObject({ user: 'alice', spend_usd: '0.02295', outcomes: 2, cost_per_outcome_usd: '0.011475', session_spend_usd: '0.02295' });
    expect(json.rows[1]).toMatchObject({ user: 'bob', spend_usd: '0.00765', outcomes: 0, cost_per_outcome_usd: null });
    const list = await tollgate(['outcomes', 'list', '--config', config], { cwd: dir, env });
    expect(list.stdout).toMatch(/pr-1 +pr_merged/);
  });

  it('forecasts the configured budget from the ledger', async () => {
    const r = await tollgate(['forecast', '--format', 'json', '--config', config], { cwd: dir, env });
    expect(r.code).toBe(0);
    const { data } = JSON.parse(r.stdout) as { data: Record<string, unknown>[] };
    // No complete day of history yet: the pace of today so far is the rate (whether it runs out depends on the hour), with this month's spend counted exactly.
    expect(data).toEqual([expect.objectContaining({ budget_id: 'platform-month', spent_usd: '0.02295', limit_usd: '1', status: expect.stringMatching(/^(will_run_out|on_track)$/), method: 'today' })]);
    const table = await tollgate(['forecast', '--config', config], { cwd: dir, env });
    expect(table.stdout).toMatch(/platform-month +team:platform +month +\$0\.02 +\$1\.00/);
    const bad = await tollgate(['forecast', '--lookback', '2', '--config', config], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--lookback must be a whole number of days from 7 to 90');
  });

  it('exports FOCUS as CSV and Parquet whose billed cost sums to the ledger exactly', async () => {
    const csv = await tollgate(['export', '--format', 'focus', '--config', config], { cwd: dir, env });
    expect(csv.code).toBe(0);
    const [head, ...lines] = csv.stdout.trim().split('\n');
    const cols = head!.split(',');
    expect(cols.slice(0, 3)).toEqual(['BilledCost', 'BillingAccountId', 'BillingAccountName']);
    const billed = lines.reduce((s, l) => s + picos(parseCsv(l)[0]![cols.indexOf('BilledCost')]!), 0n);
    expect(billed).toBe(picos('0.0306'));
    expect(lines.every((l) => parseCsv(l)[0]!.length === cols.length)).toBe(true);
    const classes = new Set(lines.map((l) => parseCsv(l)[0]![cols.indexOf('x_TokenClass')]));
    expect(classes).toEqual(new Set(['input', 'cache_read', 'output']));
    const file = join(dir, 'focus.parquet');
    const pq = await tollgate(['export', '--format', 'focus', '-o', file, '--config', config], { cwd: dir, env });
    expect(pq.code).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
    // The extension in any case: this was written as CSV.
    const upper = join(dir, 'focus.PARQUET');
    expect((await tollgate(['export', '--format', 'focus', '-o', upper, '--config', config], { cwd: dir, env })).code).toBe(0);
    expect(readFileSync(upper).subarray(0, 4).toString()).toBe('PAR1');
    expect((await tollgate(['export', '--format', 'csv', '-o', join(dir, 'x.parquet'), '--config', config], { cwd: dir, env })).code).toBe(2);
    // A path that cannot be written is one line naming it, before any work, whatever the format.
    for (const [format, name] of [['focus', 'focus.parquet'], ['focus', 'focus.csv'], ['csv', 'rows.csv'], ['jsonl', 'rows.jsonl']]) {
      const missing = join(dir, 'no-such-folder', name!);
      const r = await tollgate(['export', '--format', format!, '-o', missing, '--config', config], { cwd: dir, env });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`tollgate: cannot write "${missing}": the folder "${join(dir, 'no-such-folder')}" does not exist\n`);
    }
  });

  it("prints and writes a month's chargeback statement per team, unattributed spend shown", async () => {
    const r = await tollgate(['chargeback', '--month', month, '--format', 'json', '--config', config], { cwd: dir, env });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { lines: Record<string, unknown>[]; unattributed: Record<string, unknown>; total: Record<string, unknown> };
    expect(s.lines).toEqual([expect.objectContaining({ team: 'platform', spend_usd: '0.02295', share: 0.75, requests: 3, top_models: [{ model: 'gpt-5', spend_usd: '0.02295' }], pools: [] })]);
    expect(s.unattributed).toMatchObject({ spend_usd: '0.00765', share: 0.25, requests: 1 });
    expect(s.total).toMatchObject({ spend_usd: '0.0306', requests: 4 });

    const table = await tollgate(['chargeback', '--month', month, '--config', config], { cwd: dir, env });
    // A column all under a dollar: every amount to the decimals its smallest needs (0.02295 and 0.00765 → $0.0230, $0.0077).
    expect(table.stdout).toMatch(/platform +\$0\.0230 +75\.0% .* gpt-5 \$0\.0230/);
    expect(table.stdout).toContain('(unattributed)');
    const out = join(dir, 'statement.csv');
    const w = await tollgate(['chargeback', '--month', month, '--format', 'csv', '-o', out, '--config', config], { cwd: dir, env });
    expect(w.stdout).toContain(`Wrote the ${month} statement`);
    expect(readFileSync(out, 'utf8').split('\n')[1]).toBe('platform,0.02295,0.75,3,30000,24000,0,1500,0,gpt-5=0.02295,');
    const unwritable = await tollgate(['chargeback', '--month', month, '-o', dir, '--config', config], { cwd: dir, env });
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toBe(`tollgate: cannot write "${dir}": it is a folder\n`);
    const bad = await tollgate(['chargeback', '--month', '2026-13', '--config', config], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--month: month "2026-13": use YYYY-MM');
  });

  it('shows the same spend and budget on the dashboard, once signed in with the admin token', async () => {
    await expect.poll(() => gw.stdout()).toContain(`Dashboard: ${gw.url}/ui (sign in with TOLLGATE_ADMIN_TOKEN)`);
    const login = await fetch(`${gw.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=adm' });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const html = await (await fetch(`${gw.url}/ui?span=30d`, { headers: { cookie } })).text();
    expect(rowsOf(html, 'By team').slice(1).map((r) => [cellText(r[0]), r[1]])).toEqual([['platform', '3'], ['(none)', '1']]);
    expect(rowsOf(html, 'Budgets')[1]!.slice(0, 3)).toEqual(['platform-month', 'team:platform', 'month']);
    expect(html).toContain('<h2>What changed</h2>');
  });
});
