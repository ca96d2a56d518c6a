import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

// A Redis of our own, so that killing it disturbs no other test. The port is one the OS
// just handed out: a fixed range once collided with the machine's own Redis on 6379.
let PORT = 0;
let redis: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function startRedis(): Promise<void> {
  PORT ||= await freePort();
  const child = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis = child;
  await eventually(
    () =>
      new Promise<void>((ok, fail) => {
        const s = createConnection(PORT, '127.0.0.1', () => {
          s.end();
          ok();
        });
        s.on('error', fail);
      }),
    5000,
  );
  // Something else answering on the port would make "killed" a lie.
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on ${PORT} exited at start`);
}

function killRedis(): Promise<void> {
  return new Promise((ok) => {
    if (!redis || redis.exitCode !== null || redis.signalCode !== null) return ok();
    redis.once('exit', () => ok());
    redis.kill('SIGKILL');
  });
}

const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });
const open = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: 5, fail: 'open' }), 'budget', 'config', 0);
const closed = toBudget(parseRule(budgetInput, { scope: 'user:bob', window: 'day', limit_usd: 5, fail: 'closed' }), 'budget', 'config', 0);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(killRedis);

async function send(key: string): Promise<Response> {
  const res = await fetch(`${h!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] }),
  });
  await res.clone().text();
  return res;
}

describe('Redis killed mid-run', () => {
  it('fail open admits and reports, fail closed refuses with 503, and counters are rebuilt from the ledger when Redis returns empty', async () => {
    await startRedis();
    h = await startHarness({ price, policy: { redisUrl: `redis://127.0.0.1:${PORT}`, rules: { budgets: [open, closed], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 100, output: 20 } });
    const bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: null, project: null });
    const p = h.tollgate.policy!;
    const line = () => budgetCounter(p.settings.keyPrefix, open, p.rules.current(), Date.now(), p.settings.timeZone).line;

    expect((await send(h.key.key)).status).toBe(200);
    expect((await send(bob.key)).status).toBe(200);

    await killRedis();
    const t0 = Date.now();
    expect((await send(h.key.key)).status).toBe(200);
    const refused = await send(bob.key);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ error: { code: 'budget_unavailable', message: expect.stringMatching(/fail closed/) } });
    expect(p.enforcer.stats.failOpen).toBeGreaterThanOrEqual(1);
    expect(p.enforcer.stats.failClosed).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect((await p.store.listAudit({})).map((a) => a.action)).toEqual(expect.arrayContaining(['policy.fail_open', 'policy.fail_closed'])));
    // Where Redis is and that it is not connected, not the client library's "Stream isn't writeable".
    const closedAudit = (await p.store.listAudit({})).find((a) => a.action === 'policy.fail_closed')!;
    expect(JSON.stringify(closedAudit.details)).toContain(`Redis at 127.0.0.1:${PORT} is not connected`);
    // So does a read of the counters (budget status, policy health).
    await expect(p.counters.read([line()])).rejects.toThrow(`Redis at 127.0.0.1:${PORT} is not connected`);

    // Redis comes back with nothing in it: the next reservation rebuilds alice's counter from the ledger.
    await startRedis();
    await eventually(async () => {
      expect((await send(h!.key.key)).status).toBe(200);
      expect((await p.counters.read([line()]))[0]!.initialized).toBe(true);
    }, 10_000);
    const aliceRows = (await h.rows()).filter((r) => r.user === 'alice');
    const ledger = aliceRows.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
    await eventually(async () => expect((await p.counters.read([line()]))[0]).toMatchObject({ spent: ledger, held: 0n }));
  }, 30_000);

  it('a Redis that stalls past the command timeout: fail closed refuses, and the reserve that runs once Redis resumes holds nothing afterwards', async () => {
    await killRedis();
    await startRedis();
    h = await startHarness({ price, policy: { redisUrl: `redis://127.0.0.1:${PORT}`, rules: { budgets: [open, closed], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 100, output: 20 } });
    const bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: null, project: null });
    const p = h.tollgate.policy!;
    const line = () => budgetCounter(p.settings.keyPrefix, closed, p.rules.current(), Date.now(), p.settings.timeZone).line;
    expect((await send(bob.key)).status).toBe(200);
    const spent = (await p.counters.read([line()]))[0]!.spent;

    // Frozen, not dead: the connection stays open and the reserve waits on it past the 2 s timeout.
    redis!.kill('SIGSTOP');
    try {
      expect((await send(bob.key)).status).toBe(503);
    } finally {
      redis!.kill('SIGCONT');
    }
    await eventually(async () => expect((await p.counters.read([line()]))[0]).toMatchObject({ spent, held: 0n }), 10_000);
  }, 30_000);
});
