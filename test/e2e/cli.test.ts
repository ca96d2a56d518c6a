import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { VERSION as OPENAI_SDK } from 'openai/version';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'storage: { sqlite: ./data/tollgate.db, writer: thread }',
      'providers:',
      '  - name: openai',
      '    dialect: openai',
      `    base_url: ${fake.url}`,
      '    api_key: ${UPSTREAM_KEY}',
      '    catalog: openai',
      'pricing:',
      '  discounts: { openai: 0.1 }',
      '',
    ].join('\n'),
  );
  gw = await serve(['--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'sk-fake', TOLLGATE_ADMIN_TOKEN: 'adm' } });
});
afterAll(async () => {
  await gw?.stop();
  await fake.close();
});

describe('the built CLI', () => {
  it('creates a key, meters real SDK traffic, prices it with the catalog, and reports it', async () => {
    const created = await tollgate(['keys', 'create', '--user', 'alice', '--team', 'platform', '--project', 'web', '--json', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; user: string; team: string; project: string };
    expect(Object.keys(key)).toEqual(['id', 'key', 'user', 'team', 'project', 'expires_at']);
    expect(key.key).toMatch(/^tg_/);

    // Revocation reaches the running gateway within its 2 s key cache; this key is fresh, so no wait.
    fake.setDefault({ usage: { input: 2000, cacheRead: 8000, output: 500 } });
    const client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (const workflow of ['review', 'review', 'nightly']) {
      await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tollgate-tags': `workflow=${workflow}`, 'x-tollgate-session': `s-${workflow}` } });
    }

    // gpt-5: 2,000 × $1.25/M + 8,000 × $0.125/M + 500 × $10/M = $0.0085 per request; 10% discount → $0.00765.
    const report = await tollgate(['report', '--by', 'user', 'tag:workflow', '--format', 'json', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(report.code).toBe(0);
    const json = JSON.parse(report.stdout) as { rows: Record<string, unknown>[]; total: Record<string, unknown>; concentration: { sessions: { top: number; of: number } } };
    expect(json.rows).toEqual([
      expect.objectContaining({ user: 'alice', workflow: 'review', requests: 2, input_tokens: 20000, cache_read_tokens: 16000, output_tokens: 1000, cost_usd: '0.0153', cache_read_share: 0.8 }),
      expect.objectContaining({ user: 'alice', workflow: 'nightly', requests: 1, cost_usd: '0.00765' }),
    ]);
    expect(json.total).toMatchObject({ requests: 3, cost_usd: '0.02295' });
    expect(json.concentration.sessions).toMatchObject({ top: 1, of: 2 });

    const cache = await tollgate(['cache-report', '--by', 'workflow', '--format', 'json', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(cache.code).toBe(0);
    const groups = (JSON.parse(cache.stdout) as { groups: Record<string, unknown>[] }).groups;
    expect(groups).toContainEqual(expect.objectContaining({ workflow: 'review', requests: 2, hashed_requests: 2, cache_read_share: 0.8 }));
    const cacheTable = await tollgate(['cache-report', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(cacheTable.stdout).toMatch(/review +2 +2 +20,000 +16,000/);
    const badBy = await tollgate(['cache-report', '--by', 'team', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(badBy.code).not.toBe(0);
    expect(badBy.stderr).toContain('--by must be workflow, key, model or session, not "team"');
    // A start in the future (a year mistyped) is refused, not shown as a window ending before it starts.
    const future = await tollgate(['cache-report', '--since', '2999-01-01', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(future).toMatchObject({ code: 2, stderr: expect.stringContaining('--since must be before --until') });

    const table = await tollgate(['report', '--by', 'model', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(table.stdout).toMatch(/gpt-5 +3 +30,000 +24,000/);
    expect(table.stdout).toContain('Concentration: the top 10% of workflows (1 of 2)');

    const csv = await tollgate(['export', '--format', 'csv', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,ts,api,provider,model,model_requested,key_id,user,team,project,session_id,client,tags,stream,status,outcome,error_type,input_tokens,cache_read_tokens,cache_write_tokens,cache_write_1h_tokens,output_tokens,reasoning_tokens,tool_calls,latency_ms,ttft_ms,cost_usd,usage_source,unpriced,attempts,pool,route_rule,route_mode,route_saving_usd,upstream_request_id,source,response_id,service_tier');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`,${key.id},alice,platform,web,s-review,openai-sdk,client_version=${OPENAI_SDK};workflow=review,false,200,ok,,10000,8000,`);
    expect(lines[1]).toContain(',0.00765,final,false,1');

    const file = join(dir, 'out.jsonl');
    expect((await tollgate(['export', '--format', 'jsonl', '-o', file, '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } })).code).toBe(0);
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).cost_usd)).toEqual([0.00765, 0.00765, 0.00765]);
  });

  it('lists and revokes keys, and the admin API sees the same ledger', async () => {
    const list = await tollgate(['keys', 'list', '--json', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    const [k] = JSON.parse(list.stdout) as { id: string; prefix: string }[];
    expect(k!.prefix).toMatch(/^tg_/);
    expect(list.stdout).not.toMatch(/tg_[A-Za-z0-9_-]{40}/);
    expect((await tollgate(['keys', 'revoke', k!.id, '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } })).stdout).toContain(`Revoked ${k!.id}`);
    expect((await tollgate(['keys', 'revoke', 'key_missing', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } })).code).toBe(1);
    // Revoking again keeps the first revocation's time, and says so.
    expect((await tollgate(['keys', 'revoke', k!.id, '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } })).stdout).toMatch(new RegExp(`^${k!.id} was already revoked, at \\d{4}-`));
    const active = await tollgate(['keys', 'list', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    expect(active.stdout).toBe('No active keys (1 revoked: list them with --all).\n');
    const res = await fetch(`${gw.url}/admin/v1/report?by=model&since=1d`, { headers: { authorization: 'Bearer adm' } });
    expect(((await res.json()) as { total: { requests: number } }).total.requests).toBe(3);
    expect((await fetch(`${gw.url}/admin/v1/keys`)).status).toBe(401);
  });

  it('serves the Responses WebSocket: the built server meters and prices each response on the socket', async () => {
    const created = await tollgate(['keys', 'create', '--user', 'bob', '--team', 'platform', '--json', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    fake.setDefault({ usage: { input: 2000, cacheRead: 8000, output: 500 } });
    const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${key}` } });
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    const done = new Promise<void>((ok) => ws.on('message', (m: Buffer) => m.toString().includes('"response.completed"') && ok()));
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' }));
    await done;
    ws.close();
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-fake');
    const out = await tollgate(['export', '--format', 'jsonl', '--config', config], { cwd: dir, env: { UPSTREAM_KEY: 'x' } });
    const rows = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.api === 'openai.responses');
    // The same usage as the chat completions above, at the same price: $0.00765 after the 10% discount.
    expect(rows).toEqual([expect.objectContaining({ user: 'bob', model: 'gpt-5', stream: true, outcome: 'ok', input_tokens: 10000, cache_read_tokens: 8000, output_tokens: 500, cost_usd: 0.00765 })]);
  });

  it('creates a key that expires, shows when in the listing, and refuses an expiry that is not a time', async () => {
    const db = join(dir, 'expiring.db');
    const created = await tollgate(['keys', 'create', '--user', 'temp', '--expires', '2030-01-31', '--db', db], { cwd: dir });
    expect(created.stdout).toMatch(/^Created key_[\w-]+ for user=temp team=- project=-, expiring 2030-01-31T00:00:00.000Z\n/);
    expect((await tollgate(['keys', 'list', '--db', db], { cwd: dir })).stdout).toContain('  expires 2030-01-31T00:00:00.000Z');
    const bad = await tollgate(['keys', 'create', '--user', 'temp', '--expires', 'next week', '--db', db], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('tollgate: keys create: expires "next week" is not a time: use a span like 12h, 30d or 2w, a date like 2027-01-31, or an ISO timestamp\n');
  });

  it('a SIGHUP without TLS is logged and the gateway goes on serving (Node would exit)', async () => {
    gw.child.kill('SIGHUP');
    await expect.poll(() => gw.stderr()).toContain('SIGHUP: nothing to reload without server.tls; still serving');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('fails fast on a bad config, naming the setting and its line', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'providers:\n  - name: x\n    dialect: mistral\n    base_url: http://127.0.0.1:1\n');
    const r = await tollgate(['serve', '--config', bad], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('providers[0].dialect (line 3): must be one of openai, anthropic, gemini');
    const port = await tollgate(['serve', '--port', 'abc'], { cwd: dir });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a number');
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'not a ledger\n'.repeat(500));
    const notDb = await tollgate(['report', '--db', notes], { cwd: dir });
    expect(notDb.code).toBe(2);
    expect(notDb.stderr).toBe(`tollgate: cannot open the SQLite ledger at "${notes}": the file is not a SQLite database\n`);
    // Reading a ledger that is not there (a mistyped path) says so, and creates nothing.
    const missing = join(dir, 'typo', 'ledger.db');
    for (const command of [['report'], ['forecast'], ['outcomes', 'list'], ['outcomes', 'report']]) {
      const none = await tollgate([...command, '--db', missing], { cwd: dir });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(`no ledger at "${missing}" yet`);
    }
    expect(existsSync(join(dir, 'typo'))).toBe(false);
    // A spool folder that is a file: one line naming the folder and the setting, no stack.
    mkdirSync(join(dir, 'blocked'));
    writeFileSync(join(dir, 'blocked', 'spool'), '');
    const spool = await tollgate(['serve', '--port', '0', '--db', join(dir, 'blocked', 'ledger.db')], { cwd: dir });
    expect(spool.code).toBe(2);
    // Postgres refusing the login: one line naming the server (no password) and Postgres's reason.
    const pgBad = join(dir, 'pg-bad.yaml');
    writeFileSync(pgBad, 'storage: { postgres: "postgres://nobody:hunter2@127.0.0.1:5432/test" }\n');
    const pg = await tollgate(['report', '--config', pgBad], { cwd: dir });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toBe('tollgate: cannot open the Postgres ledger at postgres://nobody:***@127.0.0.1:5432/test: role "nobody" does not exist\n');
    expect(spool.stderr).toMatch(/^tollgate: cannot use the spool folder ".*blocked\/spool" \(ENOTDIR: .*\): set storage\.spool_dir to a folder Tollgate can write\n$/);
  });

  it('refuses to start on a Redis database the server does not have (ioredis would carry on in database 0)', async () => {
    const redis99 = join(dir, 'redis99.yaml');
    writeFileSync(redis99, 'redis: redis://127.0.0.1:6379/99\n');
    const outcome = await serve(['--config', redis99, '--db', join(dir, 'redis99.db')], { cwd: dir }).then(
      async (s) => `started (${String(await s.stop())})`,
      (err: Error) => err.message,
    );
    expect(outcome).toBe(
      'serve exited with 2: tollgate: redis: the Redis at 127.0.0.1:6379 refuses database 99 (ERR DB index is out of range). A Redis has databases 0 to 15 unless its "databases" setting says more (a cluster only 0): fix the number after the port in the URL.\n',
    );
  });

  it('says at start that a hosted provider without api_key is out of reach when auth.passthrough is deny, not to send a provider key', async () => {
    const deny = join(dir, 'deny.yaml');
    writeFileSync(deny, 'auth: { passthrough: deny }\nproviders:\n  - { name: openai, dialect: openai, base_url: https://api.openai.com }\n');
    const s = await serve(['--config', deny, '--db', join(dir, 'deny.db')], { cwd: dir });
    try {
      await expect.poll(() => s.stdout()).toContain("Provider keys: none set for openai; no request can reach it: a Tollgate key (tg_…) needs providers[].api_key, and auth.passthrough: deny refuses a client's own provider key.");
      expect(s.stdout()).not.toContain('must send their own provider key');
      const own = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-own-key', 'content-type': 'application/json' }, body: '{"model":"gpt-4o","messages":[]}' });
      expect(own.status).toBe(401);
      expect(((await own.json()) as { error: { code: string } }).error.code).toBe('passthrough_forbidden');
    } finally {
      await s.stop();
    }
  });
});
