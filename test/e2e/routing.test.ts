import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-routing-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    `storage: { sqlite: ./data/tollgate.db }
providers:
  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-main, catalog: openai }
routing:
  retry: { backoff_ms: 10 }
routes:
  - model: "gpt-5*"
    deployments:
      - { provider: openai, name: primary }
      - { provider: openai, name: secondary, api_key: sk-second, order: 1 }
`,
  );
  gw = await serve(['--config', config], { cwd: dir });
});
afterAll(async () => {
  await gw?.stop();
  await fake.close();
});

describe('routes through the built CLI', () => {
  it('falls back to the second deployment on a 500, with its own key, and exports the attempts count', async () => {
    const created = await tollgate(['keys', 'create', '--user', 'alice', '--json', '--config', config], { cwd: dir });
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    fake.script({ status: 500 }, { usage: { input: 1000, output: 100 } });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(response.headers.get('x-tollgate-deployment')).toBe('secondary');
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-main', 'Bearer sk-second']);
    const id = response.headers.get('x-tollgate-request-id');
    await gw.stop();
    const out = await tollgate(['export', '--format', 'jsonl', '--config', config], { cwd: dir });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const rows = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; attempts: number; outcome: string; cost_usd: number });
    const row = rows.find((r) => r.id === id)!;
    expect(row).toMatchObject({ attempts: 2, outcome: 'ok' });
    expect(row.cost_usd).toBeGreaterThan(0);
  });
});
