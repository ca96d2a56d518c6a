import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

const SYSTEM = 'You triage GitHub issues into labels.';
let fake: FakeUpstream;
let dir: string;
let config: string;
let gw: Served;
let hash: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-rules-'));
  writeFileSync(join(dir, 'system.txt'), SYSTEM);
  const hashed = await tollgate(['routing', 'hash-system', join(dir, 'system.txt')]);
  expect(hashed.code).toBe(0);
  hash = hashed.stdout.trim();
  config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'storage: { sqlite: ./data/tollgate.db }',
      'providers:',
      '  - { name: anthropic, dialect: anthropic, base_url: ' + fake.url + ', api_key: sk-fake, catalog: anthropic }',
      'pricing:',
      '  overrides:',
      '    - { model: claude-sonnet-4-5, input: 3, output: 15 }',
      '    - { model: claude-haiku-4-5, input: 1, output: 5 }',
      'routing_rules:',
      '  - id: small-to-haiku',
      '    mode: enforce',
      '    match: { model: "claude-sonnet-*", input_tokens: { lt: 2000 }, tools: false }',
      '    action: { model: claude-haiku-4-5 }',
      '  - id: triage-to-haiku',
      '    mode: shadow',
      `    match: { system_hash: ${hash} }`,
      '    action: { model: claude-haiku-4-5 }',
      '',
    ].join('\n'),
  );
  gw = await serve(['--config', config], { cwd: dir });
});
afterAll(async () => {
  await gw?.stop();
  await fake.close();
});

describe('routing rules through the built CLI', () => {
  it('hash-system agrees with what the gateway sees in a request', async () => {
    const body = join(dir, 'body.json');
    writeFileSync(body, JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, system: [{ type: 'text', text: SYSTEM }], messages: [{ role: 'user', content: 'hi' }] }));
    const f = await tollgate(['routing', 'features', '--api', 'anthropic.messages', body]);
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout)).toEqual({ input_tokens: expect.any(Number), tools: false, images: false, max_tokens: 100, reasoning: 'unset', system_hash: hash });
    const bad = await tollgate(['routing', 'hash-system', join(dir, 'missing.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot read');
  });

  it('report --by rule shows hits, spend and savings, actual for enforced rules and estimated for shadow ones', async () => {
    fake.setDefault({ usage: { input: 1200, output: 300 } });
    const client = new Anthropic({ apiKey: 'sk-client', baseURL: gw.url, maxRetries: 0 });
    const tools = [{ name: 'label', input_schema: { type: 'object' as const } }];
    for (const text of ['one', 'two']) await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: text }] });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, system: SYSTEM, tools, messages: [{ role: 'user', content: 'Issue #12' }] });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, tools, messages: [{ role: 'user', content: 'no rule' }] });
    expect(fake.requests.map((r) => (r.json as { model: string }).model)).toEqual(['claude-haiku-4-5', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'claude-sonnet-4-5']);

    // Per request: sonnet 1,200 × $3/M + 300 × $15/M = $0.0081; haiku $0.0027.
    const json = await tollgate(['report', '--by', 'rule', '--format', 'json', '--config', config], { cwd: dir });
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as { rows: unknown[]; totals: Record<string, unknown> };
    expect(r.rows).toEqual([
      { rule: 'small-to-haiku', mode: 'enforce', requests: 2, errors: 0, input_tokens: 2400, output_tokens: 600, cost_usd: '0.0054', saving_usd: '0.0108', saving_basis: 'actual', saving_share: 0.6667, unknown_saving_requests: 0 },
      { rule: 'triage-to-haiku', mode: 'shadow', requests: 1, errors: 0, input_tokens: 1200, output_tokens: 300, cost_usd: '0.0081', saving_usd: '0.0054', saving_basis: 'estimated', saving_share: 0.6667, unknown_saving_requests: 0 },
    ]);
    expect(r.totals).toMatchObject({ enforce: { requests: 2, saving_usd: '0.0108' }, shadow: { requests: 1, saving_usd: '0.0054' } });

    const table = await tollgate(['report', '--by', 'rule', '--config', config], { cwd: dir });
    expect(table.stdout).toMatch(/small-to-haiku +enforce +2 +0 +2,400 +600 +\$0\.0054 +\$0\.0108 +66\.7% +actual/);
    expect(table.stdout).toContain('Shadow rules matched 1 request(s) and would have saved $0.0054 (estimated');

    const csv = await tollgate(['report', '--by', 'rule', '--format', 'csv', '--config', config], { cwd: dir });
    expect(csv.stdout.trim().split('\n')).toEqual([
      'rule,mode,requests,errors,input_tokens,output_tokens,cost_usd,saving_usd,saving_basis,saving_share,unknown_saving_requests',
      'small-to-haiku,enforce,2,0,2400,600,0.0054,0.0108,actual,0.6667,0',
      'triage-to-haiku,shadow,1,0,1200,300,0.0081,0.0054,estimated,0.6667,0',
    ]);

    const mixed = await tollgate(['report', '--by', 'rule', 'user', '--config', config], { cwd: dir });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--by rule cannot be combined');
  });
});
