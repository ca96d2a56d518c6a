import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { type Harness, startHarness } from '../support/harness.js';

const REDIS = `${(process.env.TOLLGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/5`;
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
// The same budget id in both deployments (unique to this run, so earlier runs' counters do not count).
const budget = toBudget(parseRule(budgetInput, { id: `alice-${process.pid}-${Date.now()}`, scope: 'user:alice', window: 'day', limit_usd: 5 }), 'budget', 'config', 0);

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** A deployment's policy settings as its config gives them. */
function settingsFor(namespace: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-ns-')), 'tollgate.yaml');
  writeFileSync(file, `redis: ${REDIS}\nredis_namespace: ${namespace}\n`);
  try {
    return loadConfig({ file, env: {} }).policy;
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
}

describe('two deployments on one Redis database', () => {
  it('keep their budget counters apart when each has its redis_namespace', async () => {
    const [a, b] = await Promise.all(
      ['prod', 'staging'].map((ns) => startHarness({ price, policy: { redisUrl: REDIS, settings: settingsFor(`${ns}${process.pid}`), rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } })),
    );
    harnesses.push(a!, b!);
    a!.fake.setDefault({ usage: { input: 100, output: 20 } });
    const res = await fetch(`${a!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a!.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const spent = async (h: Harness) => {
      const p = h.tollgate.policy!;
      const { line } = budgetCounter(p.settings.keyPrefix, budget, p.rules.current(), Date.now(), p.settings.timeZone);
      await new Promise((r) => setTimeout(r, 100));
      return (await p.counters.read([line]))[0]!;
    };
    expect((await spent(a!)).spent).toBe(2_000_000_000n + 1_200_000_000n);
    expect((await spent(b!)).spent).toBe(0n);
    expect(a!.tollgate.policy!.settings.keyPrefix).toBe(`{tg:prod${process.pid}}:`);
  });
});
