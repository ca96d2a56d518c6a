import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Budget } from '../../src/policy/rules.js';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import type { UsageSpec } from '../fake-upstream/types.js';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';
import { TEST_REDIS } from './redis.js';


/**
 * One ledger that several gateways (replicas) share, on each engine, for `describe.each`: each
 * call of an engine's factory makes a new ledger, and every call of the returned opener opens
 * that one. Postgres schemas are dropped after the file.
 */
export function sharedLedgers(name: string): [string, () => () => Promise<Storage>][] {
  const schemas: string[] = [];
  afterAll(() => dropSchemas(schemas));
  return [
    [
      'SQLite',
      () => {
        const path = join(mkdtempSync(join(tmpdir(), `tollgate-${name}-`)), 'tollgate.db');
        return () => Promise.resolve(openSqlite(path));
      },
    ],
    [
      'Postgres',
      () => {
        const schema = `tg_${name}_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
        schemas.push(schema);
        return () => openPostgres({ url: TEST_PG_URL, schema, maxConnections: 4 });
      },
    ],
  ];
}

/** Spend controls with budget counters shared in Redis, as replicas share them, under a key prefix of their own. */
export function sharedPolicy(budgets: Budget[]) {
  const settings = { ...DEFAULT_POLICY_SETTINGS, keyPrefix: `{tg${process.pid}${Math.random().toString(36).slice(2, 8)}}:` };
  return { redisUrl: TEST_REDIS, settings, rules: { budgets, rateLimits: [], modelPolicies: [] } };
}

/**
 * Two gateways (replicas) on one shared ledger, their budget counters shared in Redis, each in
 * front of a fake upstream of its own that answers with `usage` by default.
 */
export async function startReplicas(open: () => Promise<Storage>, budgets: Budget[], usage: UsageSpec, o: HarnessOptions = {}): Promise<[Harness, Harness]> {
  const policy = sharedPolicy(budgets);
  const start = async () => {
    const h = await startHarness({ ...o, storage: open, policy });
    h.fake.setDefault({ usage });
    return h;
  };
  return [await start(), await start()];
}
