import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { serve, tollgate } from './cli.js';

// A Redis database of this file's own: it is emptied before the test.
const REDIS_DB = 7;
const ADMIN = 'crash-reservations-admin-token';
let slow: FakeUpstream;
let home: string;

beforeAll(async () => {
  execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', '-n', String(REDIS_DB), 'FLUSHDB']);
  slow = await startFakeUpstream({ record: false });
  home = mkdtempSync(join(tmpdir(), 'tollgate-crash-holds-'));
});
afterAll(async () => {
  await slow.close();
  rmSync(home, { recursive: true, force: true });
});

describe('requests a process that died was serving', () => {
  it('release their concurrency slots and budget holds at the next start, and their cost is counted', async () => {
    // Streams open well past the gateway's journal sweep: the first chunk at once, then one a second.
    slow.setDefault({ usage: { input: 900, output: 40 }, chunks: 10, chunkDelayMs: 1000 });
    const file = join(home, 'tollgate.yaml');
    writeFileSync(
      file,
      [
        'providers:',
        `  - { name: openai, dialect: openai, base_url: "${slow.url}", api_key: sk-fake, catalog: openai }`,
        `redis: redis://127.0.0.1:6379/${REDIS_DB}`,
        'rate_limits:',
        '  - { scope: user:cc, concurrency: 2 }',
        'budgets:',
        '  - { id: cc-day, scope: user:cc, window: day, limit_usd: 100 }',
        '',
      ].join('\n'),
    );
    const env = { TOLLGATE_ADMIN_TOKEN: ADMIN };
    const key = (JSON.parse((await tollgate(['keys', 'create', '--user', 'cc', '--json', '--config', file], { cwd: home })).stdout) as { key: string }).key;
    const gw = await serve(['--config', file], { cwd: home, env });
    const agent = new Agent({ connections: 8 });
    const send = (stream: boolean) =>
      request(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', stream, max_tokens: 100, messages: [{ role: 'user', content: 'a long question '.repeat(200) }] }),
      });
    for (let i = 0; i < 2; i++) {
      const res = await send(true);
      expect(res.statusCode).toBe(200);
      res.body.on('error', () => undefined);
      res.body.resume();
    }
    // Both slots are taken: a third is refused while they run.
    const third = await send(false);
    expect(third.statusCode).toBe(429);
    await third.body.text();
    await new Promise((r) => setTimeout(r, 1500));
    await gw.stop('SIGKILL');
    await agent.destroy();

    slow.setDefault({ usage: { input: 900, output: 40 } });
    const again = await serve(['--config', file], { cwd: home, env });
    try {
      expect(again.stdout() + again.stderr()).toContain('recorded 2 request(s) an earlier process was serving when it died');
      // Not 30 minutes of "retry after 1 s": the dead requests' slots are free.
      const next = await request(`${again.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(next.statusCode).toBe(200);
      await next.body.text();
      // The counter holds what the ledger holds, the crashed rows' cost included, and nothing is still held.
      const rec = await tollgate(['budgets', 'reconcile', '--url', again.url, '--json'], { cwd: home, env });
      const drift = (JSON.parse(rec.stdout) as { data: { budget_id: string; drift_usd: string; ledger_usd: string }[] }).data.find((b) => b.budget_id === 'cc-day');
      expect(drift?.drift_usd).toBe('0');
      expect(Number(drift!.ledger_usd)).toBeGreaterThan(0);
      const status = await request(`${again.url}/admin/v1/budgets/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const budget = ((await status.body.json()) as { data: { id: string; held_usd: string }[] }).data.find((b) => b.id === 'cc-day');
      expect(budget?.held_usd).toBe('0');
    } finally {
      await again.stop();
    }
  });
});
