import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usd } from '../../src/core/money.js';
import { openRedisCounters } from '../../src/policy/counters/redis.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { emptyRuleSet } from '../../src/policy/rules.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Served, serve, tollgate } from './cli.js';

// Real services, as on CI: Postgres (trust auth) and Redis on their standard ports.
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = 'redis://127.0.0.1:6379';
const db = `tg_replicas_${process.pid}`;
const user = `replica-${randomUUID().slice(0, 8)}`;

let fake: FakeUpstream;
let dir: string;
let config: string;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(sql);
  await c.end();
}

beforeAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${db}`);
  await admin(`CREATE DATABASE ${db}`);
  fake = await startFakeUpstream({ record: false });
  // Streams that take a while, so that hundreds are in flight at once.
  fake.setDefault({ usage: { input: 200, output: 50 }, chunks: 5, chunkDelayMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-replicas-'));
  config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'log: { level: warn }',
      `storage: { postgres: "postgres://postgres@127.0.0.1:5432/${db}" }`,
      `redis: "${REDIS}"`,
      'providers:',
      `  - { name: openai, dialect: openai, base_url: "${fake.url}", api_key: sk-fake }`,
      'pricing:',
      '  overrides:',
      '    - { model: "gpt-5*", input: 20, cache_read: 20, cache_write: 20, cache_write_1h: 20, output: 60 }',
      'budgets:',
      `  - { scope: "user:${user}", window: day, limit_usd: 1 }`,
      '',
    ].join('\n'),
  );
}, 30_000);

afterAll(async () => {
  await fake.close();
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
});

describe('three replicas on one Postgres and Redis', () => {
  it('600 concurrent streams against a $1.00 budget: settled spend stays under it, and the ledger equals the counters', async () => {
    const created = await tollgate(['keys', 'create', '--user', user, '--json', '--config', config], { cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    const replicas: Served[] = await Promise.all([0, 1, 2].map(() => serve(['--config', config], { cwd: dir, env: { TOLLGATE_ADMIN_TOKEN: 'admin-token' } })));
    const agent = new Agent({ connections: 256 });
    try {
      const body = JSON.stringify({ model: 'gpt-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'y'.repeat(220) }] });
      const statuses = await Promise.all(
        Array.from({ length: 600 }, async (_, i) => {
          const res = await request(`${replicas[i % 3]!.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
          await res.body.text();
          return res.statusCode;
        }),
      );
      const ok = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 402)).toEqual([]);
      // Each request is estimated at ~$0.009 and costs $0.007: at least 100 fit, and never more than $1 of them.
      expect(ok).toBeGreaterThanOrEqual(100);

      // The bound holds while Redis answers; a request admitted by fail: open would void it, so say so.
      const health = await Promise.all(replicas.map(async (r) => (await (await fetch(`${r.url}/admin/v1/policy/health`, { headers: { authorization: 'Bearer admin-token' } })).json()) as { enforcer: { fail_open: number } }));
      expect(health.map((h) => h.enforcer.fail_open), 'requests admitted without counters (fail open)').toEqual([0, 0, 0]);

      const b = toBudget(parseRule(budgetInput, { scope: `user:${user}`, window: 'day', limit_usd: 1 }), 'budget', 'config', 0);
      const line = budgetCounter(DEFAULT_POLICY_SETTINGS.keyPrefix, b, emptyRuleSet(), Date.now(), 'UTC').line;
      const counters = openRedisCounters(REDIS);
      let counted = { spent: -1n, held: -1n };
      for (let i = 0; i < 100; i++) {
        counted = (await counters.read([line]))[0]!;
        if (counted.held === 0n) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await counters.close();
      await Promise.all(replicas.map((r) => r.stop()));

      const storage = await openPostgres({ url: `postgres://postgres@127.0.0.1:5432/${db}` });
      const [total] = await storage.ledger.aggregate({ by: ['user'] });
      await storage.close();
      expect(total).toMatchObject({ keys: [user], requests: 600 });
      expect(total!.costPicos).toBe(BigInt(ok) * usd('0.007'));
      expect(total!.costPicos).toBeLessThanOrEqual(usd('1'));
      expect(counted).toMatchObject({ spent: total!.costPicos, held: 0n });
    } finally {
      await agent.close();
      await Promise.all(replicas.map((r) => r.stop()));
    }
  }, 120_000);
});
