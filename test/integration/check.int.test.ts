import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../src/cli/program.js';
import { configFile } from '../../src/config/testing.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type FakeProxy, startFakeProxy } from '../support/fake-proxy.js';

async function check(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  // Port 0: the listen line passes whatever else runs on this machine (its own test below).
  const code = await run(['check', ...(args.includes('--port') ? [] : ['--port', '0']), ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('tollgate check', () => {
  let fake: FakeUpstream;
  let refusing: FakeUpstream;
  let proxy: FakeProxy;
  let db: string;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    refusing = await startFakeUpstream();
    proxy = await startFakeProxy({ hosts: { 'models.test': '127.0.0.1' } });
    db = join(mkdtempSync(join(tmpdir(), 'tollgate-check-')), 'tollgate.db');
    await openSqlite(db).close();
  });
  afterAll(async () => {
    await fake.close();
    await refusing.close();
    await proxy.close();
  });

  it('says ok for each part that works: storage, Redis, and every dialect with its key', async () => {
    const config = configFile(
      `storage: { sqlite: "${db}" }\nredis: redis://127.0.0.1:6379/5\nproviders:\n` +
        `  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o, catalog: openai }\n` +
        `  - { name: anthropic, dialect: anthropic, base_url: "${fake.url}", api_key: sk-a, catalog: anthropic }\n` +
        `  - { name: gemini, dialect: gemini, base_url: "${fake.url}", api_key: g-k, catalog: google }\n` +
        `  - { name: local, dialect: openai, base_url: "${fake.url}" }\n`,
    );
    const r = await check(['--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`ok    config: read ${config}`);
    expect(lines[1]).toBe(`ok    storage: SQLite at ${db} opens, its schema current (migrated now if it was not, as serve would)`);
    expect(lines[2]).toBe(`ok    spool: ${join(db, '..', 'spool')} can be written (tollgate serve creates it)`);
    expect(lines[3]).toBe('ok    redis: redis://127.0.0.1:6379/5 answers');
    expect(lines[4]).toBe('ok    listen: 127.0.0.1 can be listened on (port 0: a free port is picked at start)');
    expect(lines.slice(5)).toEqual([
      expect.stringMatching(new RegExp(`^ok    provider openai: ${fake.url} takes the key \\(HTTP 200 in \\d+ ms\\)$`)),
      expect.stringMatching(/^ok {4}provider anthropic: .* takes the key/),
      expect.stringMatching(/^ok {4}provider gemini: .* takes the key/),
      expect.stringMatching(/^ok {4}provider local: .* answers without a key/),
      // The one provider no price reaches is named, as serve names it at start.
      `ok    pricing: unpriced: the price catalog does not know provider "local" (${fake.url}); its requests are recorded without a cost until providers[].catalog names the catalog's provider (openai, anthropic, google, …) or pricing.overrides price its models.`,
    ]);
    // Each asked in its own dialect, with its own key where the dialect puts it.
    const seen = fake.requests.map((q) => [q.path, q.headers.authorization ?? q.headers['x-api-key'] ?? q.headers['x-goog-api-key'] ?? null]);
    expect(seen).toEqual(expect.arrayContaining([['/v1/models', 'Bearer sk-o'], ['/v1/models', 'sk-a'], ['/v1beta/models', 'g-k'], ['/v1/models', null]]));
  });

  it('fails, exit code 1, on a refused key, a provider that is not there, and a Redis that does not answer', async () => {
    refusing.setDefault({ status: 401, error: { type: 'authentication_error', message: 'bad key' } });
    const config = configFile(
      `storage: { sqlite: "${db}" }\nredis: redis://127.0.0.1:1/0\nproviders:\n` +
        `  - { name: openai, dialect: openai, base_url: "${refusing.url}", api_key: sk-wrong, models: ["gpt-*"] }\n` +
        `  - { name: gone, dialect: anthropic, base_url: "http://127.0.0.1:1", api_key: sk-a }\n`,
    );
    const r = await check(['--config', config]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('tollgate: 3 of 7 checks failed\n');
    expect(r.out).toContain(`FAIL  provider openai: ${refusing.url} refuses the configured key (HTTP 401): check its api_key\n`);
    expect(r.out).toContain('FAIL  provider gone: Could not reach the upstream http://127.0.0.1:1 (ECONNREFUSED).\n');
    expect(r.out).toMatch(/FAIL {2}redis: redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/);
    // A notice, not a check: the count above leaves it out.
    expect(r.out).toContain('ok    providers: every openai provider lists models, so openai requests for a model no globs match go to "openai" (models: gpt-*). Add one without models to serve the rest (docs/configuration.md#choosing-the-provider).\n');
  });

  it('reaches providers through the proxy the environment names, and says so', async () => {
    const port = new URL(fake.url).port;
    const config = configFile(`storage: { sqlite: "${db}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "http://models.test:${port}", api_key: sk-o }\n`);
    process.env.HTTP_PROXY = proxy.url;
    try {
      const r = await check(['--config', config, '--json']);
      expect(r.code).toBe(0);
      const parts = JSON.parse(r.out) as { part: string; ok: boolean; detail: string }[];
      expect(parts.find((p) => p.part === 'proxy')).toEqual({ part: 'proxy', ok: true, detail: `outbound requests: http:// through ${proxy.url} (HTTP_PROXY); direct: loopback hosts` });
      expect(parts.find((p) => p.part === 'provider openai')?.detail).toMatch(new RegExp(`^http://models\\.test:${port} takes the key \\(HTTP 200 in \\d+ ms\\), through ${proxy.url.replace(/[.]/g, '\\.')}$`));
      expect(proxy.seen.map((s) => s.target)).toEqual([`models.test:${port}`]);
    } finally {
      delete process.env.HTTP_PROXY;
    }
  });

  it('names the proxy and what it wants when it refuses the tunnel (407), at once rather than as a timeout', async () => {
    const port = new URL(fake.url).port;
    const guarded = await startFakeProxy({ hosts: { 'models.test': '127.0.0.1' }, credentials: 'alice:s3cret' });
    const config = configFile(`storage: { sqlite: "${db}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "http://models.test:${port}", api_key: sk-o }\n`);
    process.env.HTTP_PROXY = guarded.url;
    try {
      const started = Date.now();
      const r = await check(['--config', config, '--json']);
      expect(r.code).toBe(1);
      const parts = JSON.parse(r.out) as { part: string; ok: boolean; detail: string }[];
      expect(parts.find((p) => p.part === 'provider openai')).toEqual({
        part: 'provider openai',
        ok: false,
        detail: `The proxy ${guarded.url} refused to connect to the upstream http://models.test:${port} (HTTP 407): it asks for credentials (give them in the proxy URL, http://user:password@host:port).`,
      });
      expect(Date.now() - started).toBeLessThan(9_000);
    } finally {
      delete process.env.HTTP_PROXY;
      await guarded.close();
    }
  });

  it('does not make a ledger that is not there yet', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'tollgate-check-')), 'new.db');
    const config = configFile(`storage: { sqlite: "${missing}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o }\n`);
    const r = await check(['--config', config]);
    expect(r.out).toContain(`ok    storage: SQLite at ${missing} does not exist yet; tollgate serve creates it\n`);
    const { existsSync } = await import('node:fs');
    expect(existsSync(missing)).toBe(false);
  });

  it('fails, as serve would, on a Redis database Redis refuses, a spool folder and a ledger below a file, and a port in use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-check-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'afile'), '');
    const taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    onTestFinished(() => void taken.close());
    const port = (taken.address() as AddressInfo).port;
    const config = configFile(
      `storage: { sqlite: "${dir}/afile/x.db", spool_dir: "${dir}/afile/spool" }\nredis: redis://127.0.0.1:6379/99\n` +
        `server: { port: ${port} }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o }\n`,
    );
    let out = '';
    let err = '';
    expect(await run(['check', '--config', config], { out: (t) => void (out += t), err: (t) => void (err += t) })).toBe(1);
    const notFolder = `ENOTDIR: "${dir}/afile" exists but is not a folder (a file, or a symlink to nothing)`;
    expect(out.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([
      `FAIL  storage: SQLite at ${dir}/afile/x.db: cannot open the SQLite ledger at "${dir}/afile/x.db": the file cannot be created or opened here: ${notFolder} (check that its folder can be written)`,
      `FAIL  spool: cannot use the spool folder "${dir}/afile/spool" (${notFolder}): set storage.spool_dir to a folder Tollgate can write`,
      'FAIL  redis: the Redis at 127.0.0.1:6379 refuses database 99 (ERR DB index is out of range). A Redis has databases 0 to 15 unless its "databases" setting says more (a cluster only 0): fix the number after the port in the URL.',
      `FAIL  listen: the port is already in use (listen EADDRINUSE: address already in use 127.0.0.1:${port}). Pick another with --port.`,
    ]);
    expect(err).toBe('tollgate: 4 of 6 checks failed\n');
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });

  it('takes --host as serve does, and fails on an address this machine does not have', async () => {
    const config = configFile(`storage: { sqlite: "${db}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o }\n`);
    const r = await check(['--config', config, '--host', '192.0.2.1', '--port', '19560']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL  listen: this machine has no such address to listen on (listen EADDRNOTAVAIL: address not available 192.0.2.1:19560). Pick another with --host (127.0.0.1 or 0.0.0.0).\n');
    expect(r.err).toBe('tollgate: 1 of 5 checks failed\n');
  });

  it('names budgets, from the file or storage, whose downgrade target no provider prices: a notice, not a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-check-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const own = join(dir, 'tollgate.db');
    const storage = openSqlite(own);
    await storage.policy.putBudget(toBudget(parseRule(budgetInput, { id: 'stored', scope: 'team:web', window: 'day', limit_usd: 5, downgrade: { at_percent: 80, to: 'gpt-5-nanoo' } }), 'budget', 'api', 0));
    await storage.close();
    const config = configFile(
      `storage: { sqlite: "${own}" }\nproviders:\n  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-o, catalog: openai }\n  - { name: anthropic, dialect: anthropic, base_url: "${fake.url}", api_key: sk-a, catalog: anthropic }\n` +
        'budgets:\n  - { id: jack, scope: user:jack, window: day, limit_usd: 1, downgrade: { at_percent: 50, to: claude-haiku-4-5 } }\n  - { id: typo, scope: user:amy, window: day, limit_usd: 1, downgrade: { at_percent: 50, to: claude-haikoo-4-5 } }\n',
    );
    const r = await check(['--config', config]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l.includes('budgets:'))).toEqual([
      'ok    budgets: "typo" downgrades to claude-haikoo-4-5, which has no price at the providers that would serve it ("openai", "anthropic"): it never applies. Check the model’s name, or price it with pricing.overrides (docs/budgets.md#downgrades).',
      'ok    budgets: "stored" downgrades to gpt-5-nanoo, which has no price at the providers that would serve it ("openai", "anthropic"): it never applies. Check the model’s name, or price it with pricing.overrides (docs/budgets.md#downgrades).',
    ]);
  });

  it('names an override that drops a long-context tier, with the tier, and not one that carries its own: a notice, not a failure', async () => {
    const config = configFile(
      `storage: { sqlite: "${db}" }\nproviders:\n  - { name: antd, dialect: anthropic, base_url: "${fake.url}", api_key: sk-a, catalog: anthropic }\npricing:\n  overrides:\n` +
        '    - { model: "claude-haiku-5-5*", input: 0.09, output: 0.45 }\n' +
        '    - { model: "claude-sonnet-4-5*", input: 2.7, output: 13.5, long_context: { above_tokens: 200000, input: 5.4, output: 20.25 } }\n',
    );
    const r = await check(['--config', config]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('ok    pricing:'))).toEqual([
      'ok    pricing: override "claude-haiku-5-5*" (pricing.overrides[0]) has no long_context, so every request it prices is billed at its flat prices, however long: it drops the long-context tier of claude-haiku-5-5 (anthropic) above 100000 input tokens: input 0.1 → 0.5, cache read 0.01 → 0.05, cache write 0.125 → 0.625, 1h cache write 0.2 → 1, output 0.5 → 2.5. Give it long_context (docs/pricing.md).',
    ]);
  });
});
