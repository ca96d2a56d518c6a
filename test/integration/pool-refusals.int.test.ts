import { afterAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../src/alerts/webhook.js';
import { type MeJson, renderStatus } from '../../src/cli/commands/status.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetInput, parseRule, poolInput, toBudget } from '../../src/policy/rule-input.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

/** $20 per million input tokens, $60 per million output: a ~300-byte request with max_tokens 50 is estimated at about $0.009, and costs $0.007. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

const sink = new MemorySink();
let h: Harness;
afterAll(() => h.close());

const headersOf = (key: string) => ({ authorization: `Bearer ${key}`, 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
const content = 'x'.repeat(220);
const openai = () => fetch(`${h.url}/v1/chat/completions`, { method: 'POST', headers: headersOf(h.key.key), body: JSON.stringify({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content }] }) });
const anthropic = () => fetch(`${h.url}/v1/messages`, { method: 'POST', headers: headersOf(h.key.key), body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content }] }) });
const admin = async (path: string, key = 'admin-secret') => (await fetch(`${h.url}/admin/v1${path}`, { headers: { authorization: `Bearer ${key}` } })).json() as Promise<Record<string, unknown>>;

describe('a request refused because the pool its budget draws on is spent', () => {
  it('names the pool in the client’s dialect, the alert and the audit log, as /me and tollgate status show it', async () => {
    // Alice's own $0.005 never fits a request: the team's $0.02 pool pays, twice, then has no room.
    const pool = toBudget(parseRule(poolInput, { id: 'platform-pool', scope: 'team:platform', window: 'month', limit_usd: '0.02' }), 'pool', 'config', 0);
    const own = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: '0.005', pool: 'platform-pool' }), 'budget', 'config', 0);
    h = await startHarness({ price, policy: { rules: { budgets: [pool, own], rateLimits: [], modelPolicies: [] }, alerts: sink } });
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    for (let i = 0; i < 2; i++) expect((await openai()).status).toBe(200);

    const o = await openai();
    expect(o.status).toBe(402);
    const oe = ((await o.json()) as { error: { type: string; message: string; tollgate: Record<string, unknown> } }).error;
    expect(oe.type).toBe('budget_exceeded');
    expect(oe.message).toMatch(/^Budget exceeded: the monthly pool platform-pool for team:platform has no room for this request \(\$0\.0140 of \$0\.0200 is spent or held by requests in flight, and this request could cost up to \$0\.00\d+\)\. The daily budget for user:alice, which draws on it, has no room either\./);
    expect(oe.message).toContain('--scope team:platform ');
    expect(oe.tollgate).toMatchObject({ budget_id: 'platform-pool', kind: 'pool', scope: 'team:platform', window: 'month', member_budget_id: own.id, member_scope: 'user:alice', limit_usd: '0.02', used_usd: '0.014' });

    const a = await anthropic();
    expect(a.status).toBe(402);
    const ae = (await a.json()) as { type: string; error: { type: string; message: string; tollgate: Record<string, unknown> } };
    expect(ae.error.type).toBe('budget_exceeded');
    expect(ae.error.message).toMatch(/^Budget exceeded: the monthly pool platform-pool for team:platform has no room/);
    expect(ae.error.tollgate).toMatchObject({ budget_id: 'platform-pool', scope: 'team:platform', member_budget_id: own.id });

    const refused = (await h.rows()).filter((r) => r.status === 402);
    expect(refused.map((r) => [r.errorType, r.outcome, r.pool])).toEqual([
      ['budget_exceeded', 'rejected', null],
      ['budget_exceeded', 'rejected', null],
    ]);
    // One alert for the pool's window: the pool is what is spent.
    await eventually(() => expect(sink.events.filter((e) => e.type === 'budget.refused').map((e) => ('scope' in e ? e.scope : null))).toEqual(['team:platform']));
    await eventually(async () => expect(((await admin('/audit')).data as { action: string; subject: string }[]).filter((x) => x.action === 'budget.refused').map((x) => x.subject)).toEqual(['pool:platform-pool']));

    const me = (await admin('/me', h.key.key)) as unknown as MeJson;
    expect(me.budgets.find((b) => b.kind === 'pool')).toMatchObject({ budget_id: 'platform-pool', scope: 'team:platform', used_percent: 70, spent_usd: '0.014', remaining_usd: '0.006' });
    expect(renderStatus(me)).toMatch(/\nteam:platform \(pool platform-pool\) +month +\$0\.01\d* +\$0\.02\d* +\$0\.0\d+ +70% /);
    const status = (await admin('/budgets/status')).data as Record<string, unknown>[];
    expect(status.find((s) => s.id === 'platform-pool')).toMatchObject({ kind: 'pool', scope: 'team:platform', spent_usd: '0.014', used_percent: 70 });
  });
});
