import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;

/** A port free now, so the config can name the gateway’s own address before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A printed command as a shell splits it: words, and double-quoted text as one word. */
const words = (command: string) => [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-remedy-'));
  config = join(dir, 'tollgate.yaml');
  const port = await freePort();
  writeFileSync(
    config,
    [
      'storage: { sqlite: ./data/tollgate.db }',
      'providers:',
      '  - { name: openai, dialect: openai, base_url: "' + fake.url + '", api_key: sk-fake, catalog: openai }',
      'budgets:',
      '  - { scope: user:alice, window: day, limit_usd: 0.000001 }',
      'alerts:',
      `  public_url: http://127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  gw = await serve(['--config', config, '--port', String(port)], { cwd: dir });
});
afterAll(async () => {
  await gw?.stop();
  await fake.close();
});

describe('the increase command a refusal prints', () => {
  it('works as printed from a directory with no config or ledger, and the command without a key makes no ledger there', async () => {
    const created = await tollgate(['keys', 'create', '--user', 'alice', '--json', '--config', config], { cwd: dir });
    expect(created.code).toBe(0);
    const key = (JSON.parse(created.stdout) as { key: string }).key;

    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(402);
    const remedy = ((await res.json()) as { error: { tollgate: { remedy: string } } }).error.tollgate.remedy;
    // The gateway knows the address its users reach it at (alerts.public_url) and says it.
    expect(remedy).toBe(`tollgate budgets request --url ${gw.url} --key <your tg_ key> --scope user:alice --amount <USD> --hours <N> --reason "..."`);

    const elsewhere = mkdtempSync(join(tmpdir(), 'tollgate-e2e-nowhere-'));
    const fill: Record<string, string> = { '<your tg_ key>': key, '<USD>': '5', '<N>': '2', '...': 'release week' };
    const printed = words(remedy.replace(/<your tg_ key>|<USD>|<N>/g, (p) => fill[p]!)).map((w) => fill[w] ?? w);
    expect(printed.slice(0, 3)).toEqual(['tollgate', 'budgets', 'request']);
    const asked = await tollgate(printed.slice(1), { cwd: elsewhere, env: { TOLLGATE_KEY: '' } });
    expect(asked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Requested inc_\w+: \+\$5 on user:alice for 2 h\./) });

    // Without the key and address it would write into a local ledger: there is none here, and none is made.
    const bare = await tollgate(['budgets', 'request', '--scope', 'user:alice', '--amount', '5', '--hours', '2', '--reason', 'x'], { cwd: elsewhere, env: { TOLLGATE_KEY: '' } });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/^tollgate: no ledger at ".*\.tollgate\/tollgate\.db" yet: to ask the running gateway, give your key and its address \(--key tg_… or TOLLGATE_KEY, and --url <gateway URL>\)/);
    expect(existsSync(join(elsewhere, '.tollgate'))).toBe(false);
  });
});
