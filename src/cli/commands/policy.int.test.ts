import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { KeyResolver } from '../../identity/key-resolver.js';
import { createHttpServer } from '../../server/http-server.js';
import { testRuntime } from '../../server/testing/policy-runtime.js';
import type { Storage } from '../../storage/ports.js';
import { openSqlite } from '../../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../../storage/testing/rows.js';
import { run } from '../program.js';

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-cli-policy-'));
  db = join(dir, 'tollgate.db');
});

/** Runs the CLI in this process against the test database. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run([...args, '--db', db], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** Commands that talk to the gateway take no --db. */
async function remote(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('tollgate budgets', () => {
  it('sets, lists, updates and deletes budgets and pools, and flags a missing pool', async () => {
    // No ledger yet: a reading command says so rather than make one.
    expect(await cli('budgets', 'list')).toMatchObject({ code: 1, err: expect.stringContaining('no ledger at') });
    const set = await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '40', '--thresholds', '80,50', '--pool', 'shared', '--downgrade-at', '90', '--downgrade-to', 'claude-haiku-4-5');
    expect(set).toMatchObject({ code: 0, out: expect.stringMatching(/^Created budget budget:user:alice:day \(user:alice, day, \$40\)\. Running gateways apply it within 2 seconds\.\nNote: pool shared does not exist yet/) });
    // Setting it again replaces it whole.
    const again = await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '12.50', '--thresholds', '80,50', '--pool', 'shared', '--downgrade-at', '90', '--downgrade-to', 'claude-haiku-4-5');
    expect(again.out).toMatch(/^Updated budget budget:user:alice:day \(user:alice, day, \$12\.5\)/);

    const table = await cli('budgets', 'list');
    expect(table.out).toMatch(/ID +SCOPE +WINDOW +LIMIT \(USD\) +POOL +DOWNGRADE +ALERTS AT % +FAIL +SOURCE\n/);
    expect(table.out).toMatch(/budget:user:alice:day +user:alice +day +12\.5 +shared \(missing!\) +90% -> claude-haiku-4-5 +50,80 +open +api/);
    expect(table.out).toContain('! budget:user:alice:day names pool shared, which does not exist');

    expect((await cli('budgets', 'pool', 'set', '--id', 'shared', '--scope', 'team:platform', '--window', 'month', '--limit', '500')).code).toBe(0);
    expect((await cli('budgets', 'pool', 'list')).out).toMatch(/shared +team:platform +month +500 +50,80,100 +open +api/);
    const json = JSON.parse((await cli('budgets', 'list', '--json')).out);
    expect(json).toEqual([expect.objectContaining({ id: 'budget:user:alice:day', limit_usd: '12.5', pool: 'shared', source: 'api', downgrade: { at_percent: 90, to: 'claude-haiku-4-5' } })]);
    expect(json[0].warnings).toBeUndefined();

    expect(await cli('budgets', 'delete', 'shared')).toMatchObject({ code: 1, err: 'tollgate: no budget shared (shared is a pool)\n' });
    expect((await cli('budgets', 'pool', 'delete', 'shared')).code).toBe(0);
    expect((await cli('budgets', 'delete', 'budget:user:alice:day')).out).toMatch(/^Deleted budget budget:user:alice:day/);
    expect(await cli('budgets', 'delete', 'budget:user:alice:day')).toMatchObject({ code: 1, err: 'tollgate: no budget budget:user:alice:day\n' });

    const audit = await cli('budgets', 'audit', '--json');
    expect(JSON.parse(audit.out).map((e: { action: string }) => e.action).reverse()).toEqual(['budget.set', 'budget.set', 'pool.set', 'pool.delete', 'budget.delete']);
    expect((await cli('budgets', 'audit')).out).toMatch(/TIME \(UTC\) +ACTOR +ACTION +SUBJECT +DETAILS/);
  });

  it('names the bad flag and exits 2', async () => {
    expect(await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'fortnight', '--limit', '1')).toEqual({
      code: 2,
      out: '',
      err: 'tollgate: --window: window "fortnight": use day, week, month, quarter, or a rolling span such as 5h, 90m or 7d\n',
    });
    expect((await cli('budgets', 'set', '--scope', 'usr:x', '--window', 'day', '--limit', '1')).err).toMatch(/^tollgate: --scope: scope "usr:x": the kind must be/);
    expect((await cli('budgets', 'set', '--scope', 'user:x', '--window', 'day', '--limit', '-1')).err).toMatch(/^tollgate: --limit: must be a USD amount/);
    expect((await cli('budgets', 'set', '--scope', 'user:x', '--window', 'day', '--limit', '1', '--downgrade-at', '90')).err).toBe('tollgate: --downgrade-at and --downgrade-to go together\n');
    expect((await cli('budgets', 'set', '--scope', 'user:x', '--window', 'day', '--limit', '1', '--fail', 'maybe')).err).toBe('tollgate: --fail: must be open or closed\n');
    expect((await cli('budgets', 'set', '--scope', 'user:x', '--window', 'day')).code).toBe(2);
    expect(await cli('budgets', 'pool', 'list')).toMatchObject({ code: 0, out: expect.stringMatching(/^No pools yet|^No budgets yet/) });
  });

  it('lists config rules with their source and refuses to change them', async () => {
    const config = join(dir, 'tollgate.yaml');
    writeFileSync(config, 'budgets:\n  - { id: cfg, scope: team:platform, window: month, limit_usd: 400 }\nrate_limits:\n  - { scope: user:alice, rpm: 60 }\n');
    expect((await cli('budgets', 'list', '--config', config)).out).toMatch(/cfg +team:platform +month +400 +- +- +50,80,100 +open +config/);
    const change = await cli('budgets', 'set', '--id', 'cfg', '--scope', 'team:platform', '--window', 'month', '--limit', '1', '--config', config);
    expect(change.code).toBe(1);
    expect(change.err).toContain(`budget cfg is declared in the config file ${config}: change or remove it there`);
    expect((await cli('budgets', 'delete', 'cfg', '--config', config)).code).toBe(1);
    expect((await cli('limits', 'list', '--config', config)).out).toMatch(/limit:user:alice +user:alice +60 +- +- +open +config/);
  });
});

describe('tollgate limits and models', () => {
  it('sets, lists and deletes rate limits', async () => {
    expect((await cli('limits', 'set', '--scope', 'user:alice', '--rpm', '60', '--tpm', '200000', '--concurrency', '4')).out).toMatch(/^Created rate limit limit:user:alice \(user:alice: 60 rpm, 200000 tpm, 4 at once\)/);
    expect((await cli('limits', 'list')).out).toMatch(/limit:user:alice +user:alice +60 +200,000 +4 +open +api/);
    expect(JSON.parse((await cli('limits', 'list', '--json')).out)).toEqual([expect.objectContaining({ id: 'limit:user:alice', rpm: 60, tpm: 200000, concurrency: 4 })]);
    expect((await cli('limits', 'set', '--scope', 'user:alice')).err).toBe('tollgate: limits set: give at least one of --rpm, --tpm, --concurrency\n');
    expect((await cli('limits', 'set', '--scope', 'user:alice', '--rpm', 'lots')).err).toMatch(/^tollgate: --rpm: /);
    expect((await cli('limits', 'delete', 'limit:user:alice')).code).toBe(0);
    expect((await cli('limits', 'list')).out).toMatch(/^No rate limits yet/);
  });

  it('sets, lists and deletes model policies', async () => {
    const set = await cli('models', 'set', '--scope', 'team:web', '--deny', '*opus*', '--rewrite', 'claude-opus-*=claude-sonnet-4-5,gpt-5=gpt-5-mini', '--no-keep');
    expect(set.out).toMatch(/^Created model policy models:team:web for team:web/);
    expect(JSON.parse((await cli('models', 'list', '--json')).out)).toEqual([
      expect.objectContaining({ id: 'models:team:web', allow: null, deny: ['*opus*'], rewrite: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }, { from: 'gpt-5', to: 'gpt-5-mini' }], allow_keep: false }),
    ]);
    expect((await cli('models', 'list')).out).toMatch(/models:team:web +team:web +\(any\) +\*opus\* +claude-opus-\*=claude-sonnet-4-5,gpt-5=gpt-5-mini +no +api/);
    expect((await cli('models', 'set', '--scope', 'team:web', '--rewrite', 'nonsense')).err).toBe('tollgate: --rewrite: "nonsense" is not from=to (e.g. claude-opus-*=claude-sonnet-4-5)\n');
    expect((await cli('models', 'set', '--scope', 'model:x', '--deny', 'y')).err).toBe('tollgate: --scope: a model policy applies to org, key, user, team or project\n');
    // An empty --allow (an unset shell variable) would refuse every model to the scope: it is a usage error, and nothing is made.
    for (const empty of ['', ' , ']) {
      const r = await cli('models', 'set', '--scope', 'user:frank', '--allow', empty);
      expect(r).toMatchObject({ code: 2, err: expect.stringMatching(/^tollgate: --allow: give at least one model glob/) });
    }
    expect((await cli('models', 'list', '--json')).out).not.toContain('user:frank');
    expect((await cli('models', 'delete', 'models:team:web')).code).toBe(0);
  });
});

describe('tollgate budgets request, increases, approve, deny', () => {
  it('files straight into storage, approves once, and audits both', async () => {
    await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '40');
    const asked = await cli('budgets', 'request', '--scope', 'user:alice', '--amount', '25', '--hours', '24', '--reason', 'release week', '--as', 'alice', '--json');
    expect(asked.code).toBe(0);
    const inc = JSON.parse(asked.out);
    expect(inc).toMatchObject({ scope: 'user:alice', amount_usd: '25', hours: 24, requested_by: 'alice', status: 'pending' });
    expect((await cli('budgets', 'increases', '--status', 'pending')).out).toMatch(new RegExp(`${inc.id} +pending +user:alice +- +25 +24 +alice`));

    expect((await cli('budgets', 'approve', inc.id, '--note', 'ok', '--as', 'bob')).out).toMatch(new RegExp(`^Approved ${inc.id}: \\+\\$25 on user:alice until 20`));
    expect(await cli('budgets', 'approve', inc.id)).toMatchObject({ code: 1, err: `tollgate: increase ${inc.id} is already approved\n` });
    expect(await cli('budgets', 'deny', inc.id)).toMatchObject({ code: 1 });
    expect((await cli('budgets', 'increases', '--status', 'pending')).out).toBe('No pending increase requests.\n');
    const entries = JSON.parse((await cli('budgets', 'audit', '--json')).out);
    const audit = entries.map((e: { actor: string; action: string }) => [e.actor, e.action]);
    expect(audit.reverse().slice(1)).toEqual([
      ['alice', 'increase.request'],
      ['bob', 'increase.approve'],
    ]);
    // Money in the audit log is decimal USD, as everywhere in the API, as stored and as shown.
    expect(entries.find((e: { action: string }) => e.action === 'increase.request').details).toEqual({ amount_usd: '25', hours: 24, reason: 'release week' });
    const storage = openSqlite(db);
    try {
      expect((await storage.policy.listAudit()).find((e) => e.action === 'increase.request')!.details).toEqual({ amount_usd: '25', hours: 24, reason: 'release week' });
    } finally {
      await storage.close();
    }
  });

  it('shows audit entries written before money there was decimal USD as new ones are', async () => {
    const storage = openSqlite(db);
    try {
      const at = Date.UTC(2026, 11, 6, 12);
      await storage.policy.appendAudit({ id: 'aud_1', ts: at, actor: 'carol', action: 'increase.request', subject: 'increase:inc_1 team:platform', details: { amount_picos: '200000000000000', hours: 72, reason: 'x' } });
      await storage.policy.appendAudit({ id: 'aud_2', ts: at + 1, actor: 'tollgate', action: 'budget.refused', subject: 'refused:budget:user:carol:day:1796515200000:10000000000:oversized', details: {} });
      await storage.policy.appendAudit({ id: 'aud_3', ts: at + 2, actor: 'tollgate', action: 'budget.threshold', subject: 'threshold:cfg-7:1796515200000:425000000000000:80', details: {} });
    } finally {
      await storage.close();
    }
    const entries = JSON.parse((await cli('budgets', 'audit', '--since', '2026-12-01', '--json')).out).map((e: { subject: string; details: unknown }) => [e.subject, e.details]);
    expect(entries.reverse()).toEqual([
      ['increase:inc_1 team:platform', { amount_usd: '200', hours: 72, reason: 'x' }],
      ['budget:user:carol:day', { window_start: '2026-12-06T00:00:00.000Z', limit_usd: '0.01', oversized: true }],
      ['cfg-7', { window_start: '2026-12-06T00:00:00.000Z', limit_usd: '425', percent: 80 }],
    ]);
  });

  it('reads back further than --limit with --until, and says how', async () => {
    const storage = openSqlite(db);
    const at = Date.UTC(2026, 11, 5, 8);
    try {
      for (let i = 0; i < 5; i++) await storage.policy.appendAudit({ id: `aud_page_${i}`, ts: at + i * 1000, actor: 'dana', action: 'budget.set', subject: `budget:page-${i}`, details: {} });
    } finally {
      await storage.close();
    }
    const page = (...more: string[]) => cli('budgets', 'audit', '--since', '2026-12-05T08:00:00Z', '--until', '2026-12-05T09:00:00Z', ...more);
    const first = await page('--limit', '2');
    expect(first.out).toContain('budget:page-4');
    expect(first.out).toContain('The newest 2 entries; for older ones, --until 2026-12-05T08:00:03.001Z (or a larger --limit).');
    const older = JSON.parse((await cli('budgets', 'audit', '--since', '2026-12-05T08:00:00Z', '--until', '2026-12-05T08:00:03.001Z', '--json')).out) as { subject: string }[];
    expect(older.map((e) => e.subject)).toEqual(['budget:page-3', 'budget:page-2', 'budget:page-1', 'budget:page-0']);
    expect((await cli('budgets', 'audit', '--since', '2026-12-05T08:00:00Z', '--until', '2026-12-05T07:00:00Z')).err).toContain('must be after since');
  });

  it("sends the request and the decision to the config's webhooks", async () => {
    const bodies: string[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const config = join(dir, 'alerts.yaml');
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '40');
      writeFileSync(config, `alerts:\n  webhooks: [{ url: "${url}" }]\n  public_url: https://tollgate.example\n  signing_secret: 0123456789abcdef0123\n`);
      const inc = JSON.parse((await cli('budgets', 'request', '--scope', 'user:alice', '--amount', '5', '--hours', '2', '--reason', 'demo', '--json', '--config', config)).out);
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain(inc.id);
      expect((await cli('budgets', 'deny', inc.id, '--config', config)).code).toBe(0);
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toContain(inc.id);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('asks for the gateway, or a ledger that exists, rather than make an empty ledger and find no budget or rule in it', async () => {
    const asked = await cli('budgets', 'request', '--scope', 'user:alice', '--amount', '5', '--hours', '2', '--reason', 'x');
    expect(asked).toMatchObject({
      code: 1,
      err: `tollgate: no ledger at "${db}" yet: to ask the running gateway, give your key and its address (--key tg_… or TOLLGATE_KEY, and --url <gateway URL>); on the gateway host, point --db or --config at its ledger\n`,
    });
    expect(existsSync(db)).toBe(false);
    // Deciding an increase, or listing them, acts on a ledger that holds them: none is made either.
    for (const args of [['approve', 'inc_1'], ['deny', 'inc_1'], ['increases']]) {
      expect(await cli('budgets', ...args)).toMatchObject({ code: 1, err: expect.stringMatching(/^tollgate: no ledger at ".*" yet: start the gateway/) });
    }
    // Nor does deleting a rule, which would be in the ledger had it been made.
    for (const args of [['budgets', 'delete', 'b1'], ['budgets', 'pool', 'delete', 'p1'], ['limits', 'delete', 'l1'], ['models', 'delete', 'm1']]) {
      expect(await cli(...args)).toMatchObject({ code: 1, err: expect.stringMatching(/^tollgate: no ledger at ".*" yet: start the gateway/) });
    }
    expect(existsSync(db)).toBe(false);
  });

  it('validates a request before filing it', async () => {
    expect((await cli('budgets', 'request', '--amount', '0', '--hours', '1', '--reason', 'x', '--scope', 'user:a')).err).toMatch(/^tollgate: --amount: must be a USD amount/);
    expect((await cli('budgets', 'request', '--amount', '1e20', '--hours', '1', '--reason', 'x', '--scope', 'user:a')).err).toMatch(/must be at most 1000000000000/);
    await cli('budgets', 'set', '--scope', 'user:b', '--window', 'day', '--limit', '40');
    expect((await cli('budgets', 'request', '--amount', '1', '--hours', '1', '--reason', 'x')).err).toBe('tollgate: --scope: is required (or name a --budget)\n');
    // A scope with no budget: nothing an approval could raise.
    expect(await cli('budgets', 'request', '--amount', '1', '--hours', '1', '--reason', 'x', '--scope', 'user:a')).toMatchObject({ code: 2, err: 'tollgate: --scope: there is no budget or pool on user:a to raise (set one first, or name a --budget)\n' });
    expect(await cli('budgets', 'request', '--amount', '1', '--hours', '1', '--reason', 'x', '--budget', 'nosuch')).toMatchObject({ code: 2, err: 'tollgate: --budget: there is no budget or pool nosuch\n' });
    expect((await cli('budgets', 'increases', '--json')).out).toBe('[]\n');
    await cli('budgets', 'set', '--scope', 'user:a', '--window', 'day', '--limit', '40');
    expect((await cli('budgets', 'request', '--amount', '1', '--hours', '0', '--reason', 'x', '--scope', 'user:a')).err).toBe('tollgate: --hours: must be a whole number from 1 to 2160 (0)\n');
    expect((await cli('budgets', 'request', '--amount', '1', '--hours', '1.5', '--reason', 'x', '--scope', 'user:a')).err).toBe('tollgate: --hours: must be a whole number from 1 to 2160 (1.5)\n');
    expect((await cli('budgets', 'increases', '--status', 'open')).code).toBe(2);
  });
});

describe('commands that go through the running gateway', () => {
  let server: Server | undefined;
  let storage: Storage | undefined;
  let runtime: Awaited<ReturnType<typeof testRuntime>>;
  let url: string;
  const token = process.env.TOLLGATE_ADMIN_TOKEN;

  beforeEach(async () => {
    storage = openSqlite(db);
    const config = loadConfig({ env: {}, overrides: { db } });
    runtime = await testRuntime(storage, { rules: { budgets: [] }, settings: config.policy });
    server = createHttpServer({
      gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
      admin: { storage, keys: new KeyResolver(storage.keys), token: 'adm', flush: () => Promise.resolve(), policy: runtime },
      ready: () => Promise.resolve(true),
      log: silentLogger,
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.TOLLGATE_ADMIN_TOKEN = 'adm';
  });

  afterEach(async () => {
    await new Promise((r) => server!.close(r));
    await storage!.close();
    if (token === undefined) delete process.env.TOLLGATE_ADMIN_TOKEN;
    else process.env.TOLLGATE_ADMIN_TOKEN = token;
  });

  it('shows a developer their budgets, and files their increase requests', async () => {
    await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '40');
    await cli('budgets', 'set', '--scope', 'model:claude-opus-*', '--window', 'month', '--limit', '100');
    await cli('limits', 'set', '--scope', 'team:platform', '--rpm', '30');
    const key = JSON.parse((await cli('keys', 'create', '--user', 'alice', '--team', 'platform', '--json')).out).key as string;
    // The CLI wrote to the database; a gateway re-reads it every 2 s, this test at once.
    await runtime.rules.refresh();

    const asked = await remote('budgets', 'request', '--key', key, '--url', url, '--amount', '10', '--hours', '8', '--reason', 'demo day');
    expect(asked).toMatchObject({ code: 0, out: expect.stringMatching(/^Requested inc_\w+: \+\$10 on user:alice for 8 h\. It is pending/) });
    const refused = await remote('budgets', 'request', '--key', key, '--url', url, '--scope', 'team:web', '--amount', '10', '--hours', '8', '--reason', 'x');
    expect(refused).toMatchObject({ code: 1, err: expect.stringMatching(/^tollgate: You can ask for increases on key:key_\S+, user:alice, team:platform, not team:web/) });
    // Her own team has a rate limit but no budget: nothing to raise.
    const noBudget = await remote('budgets', 'request', '--key', key, '--url', url, '--scope', 'team:platform', '--amount', '10', '--hours', '8', '--reason', 'x');
    expect(noBudget).toMatchObject({ code: 2, err: expect.stringMatching(/^tollgate: --scope: there is no budget or pool on team:platform to raise/) });

    const status = await remote('status', '--key', key, '--url', url);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^Key key_\S+ \(user alice, team platform\)\n/);
    expect(status.out).toMatch(/SCOPE +WINDOW +SPENT +LIMIT +REMAINING +USED +PROJECTED +RUNS OUT +RESETS/);
    expect(status.out).toMatch(/user:alice +day +\$0\.00 +\$40\.00 +\$40\.00 +0% +- +- +20\d\d-\d\d-\d\d 00:00 UTC/);
    expect(status.out).toMatch(/model:claude-opus-\* \* +month/);
    expect(status.out).toMatch(/Pending increases:\n {2}inc_\w+ {2}user:alice {2}\+\$10\.00 {2}for 8 h {2}"demo day"/);
    expect(status.out).toContain('Rate limits:\n  team:platform: 30 requests/min\n');
    const json = JSON.parse((await remote('status', '--key', key, '--url', url, '--json')).out);
    expect(json.budgets.map((b: { budget_id: string }) => b.budget_id)).toEqual(['budget:user:alice:day', 'budget:model:claude-opus-_:month']);

    expect(await remote('status', '--key', 'tg_nope', '--url', url)).toMatchObject({ code: 1, err: 'tollgate: This Tollgate key is not valid.\n' });
    expect(await remote('status', '--url', url)).toMatchObject({ code: 2 });
  });

  it('reconciles through the admin API', async () => {
    await cli('budgets', 'set', '--scope', 'user:alice', '--window', 'day', '--limit', '40');
    await runtime.rules.refresh();
    const out = await remote('budgets', 'reconcile', '--url', url);
    expect(out.code).toBe(0);
    expect(out.out).toMatch(/BUDGET +WINDOW +SINCE \(UTC\) +COUNTED \(USD\) +LEDGER \(USD\) +DRIFT \(USD\) +STATE/);
    expect(out.out).toMatch(/budget:user:alice:day +day +20\S+ \S+ +0 +0 +0 +not started/);
    expect(out.out).not.toContain('hold(s)');
    // A request that ended (its row is in the ledger) still holds a concurrency slot: --fix lets it go.
    await runtime.counters.reserve({ id: 'ended', now: Date.now(), leaseMs: 1_800_000, amount: 0n, groups: [], rates: [{ ref: 'conc', kind: 'concurrency', key: '{tg}:rl:conc', limit: 5 }] });
    await storage!.ledger.insert([sampleRow({ id: 'ended', ts: Date.now() })]);
    expect((await remote('budgets', 'reconcile', '--url', url)).out).toContain('1 hold(s) belong to requests that have ended; run again with --fix to release them.\n');
    expect((await remote('budgets', 'reconcile', '--url', url, '--fix')).out).toContain('Released 1 hold(s) of requests that had ended; their cost counts from the ledger.\n');
    expect(await runtime.counters.openReservations(10)).toEqual([]);
    delete process.env.TOLLGATE_ADMIN_TOKEN;
    expect((await remote('budgets', 'reconcile', '--url', url)).err).toMatch(/^tollgate: set TOLLGATE_ADMIN_TOKEN/);
  });

  it('says when the gateway cannot be reached', async () => {
    const closed = url;
    await new Promise((r) => server!.close(r));
    server = createHttpServer({ gateway: () => Promise.resolve(), admin: { storage: storage!, keys: new KeyResolver(storage!.keys), token: undefined, flush: () => Promise.resolve() }, ready: () => Promise.resolve(true), log: silentLogger });
    const res = await remote('status', '--key', 'tg_x', '--url', closed);
    expect(res).toMatchObject({ code: 1, err: expect.stringMatching(/^tollgate: cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Is `tollgate serve` running\?/) });
    expect((await remote('status', '--key', 'tg_x', '--url', 'not a url')).err).toBe('tollgate: --url "not a url" is not a URL\n');
  });
});
