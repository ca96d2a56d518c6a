import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DEFAULT_POLICY_SETTINGS } from '../../src/policy/settings.js';
import { afterEach, describe, expect, it } from 'vitest';
import { renderAlert } from '../../src/alerts/events.js';
import { MemorySink } from '../../src/alerts/webhook.js';
import { usd } from '../../src/core/money.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { parseRule, budgetInput, poolInput, toBudget } from '../../src/policy/rule-input.js';
import type { Budget } from '../../src/policy/rules.js';
import { parseScope } from '../../src/policy/scope.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

/** $20 per million input tokens, $60 per million output: round numbers the tests can check by hand. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 20_000_000n + BigInt(r.usage.outputTokens) * 60_000_000n, unpriced: false });

const budget = (input: Record<string, unknown>): Budget => toBudget(parseRule(budgetInput, input), 'budget', 'config', 0);
const pool = (input: Record<string, unknown>): Budget => toBudget(parseRule(poolInput, input), 'pool', 'config', 0);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A chat request of a known size: ~300 body bytes, so the conservative estimate is 300 input + max_tokens output. */
function chat(key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ model: 'gpt-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x'.repeat(220) }], ...extra });
  return fetch(`${h!.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
}

async function spentOn(b: Budget): Promise<{ spent: bigint; held: bigint }> {
  const p = h!.tollgate.policy!;
  const [r] = await p.counters.read([budgetCounter(p.settings.keyPrefix, b, p.rules.current(), Date.now(), p.settings.timeZone).line]);
  return r!;
}

describe('budgets on one node (SQLite, memory counters)', () => {
  it('600 concurrent streams against a $1.00 budget: settled spend stays under it, ledger equals counters', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 200, output: 50 }, chunkDelayMs: 2 });
    const responses = await Promise.all(Array.from({ length: 600 }, () => chat(h!.key.key).then(async (r) => ({ status: r.status, body: await r.text() }))));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 402);
    expect(ok.length + refused.length).toBe(600);
    // Estimate: ~300 bytes × $20/M + 50 × $60/M ≈ $0.009; actual 200 × $20/M + 50 × $60/M = $0.007.
    expect(ok.length).toBeGreaterThanOrEqual(100);
    const err = JSON.parse(refused[0]!.body) as { error: { type: string; code: string; message: string; tollgate: Record<string, string> } };
    expect(err.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded', tollgate: { scope: 'user:alice', window: 'day' } });
    expect(err.error.message).toMatch(/user:alice.*resets at .*tollgate budgets request --url <gateway URL> --key <your tg_ key> --scope user:alice/s);

    const rows = await h.rows();
    expect(rows).toHaveLength(600);
    expect(rows.filter((r) => r.outcome === 'rejected' && r.errorType === 'budget_exceeded')).toHaveLength(refused.length);
    const ledger = rows.reduce((s, r) => s + (r.costPicos ?? 0n), 0n);
    expect(ledger).toBe(BigInt(ok.length) * 7_000_000_000n);
    expect(ledger).toBeLessThanOrEqual(usd('1'));
    await eventually(async () => expect(await spentOn(b)).toMatchObject({ spent: ledger, held: 0n }));
  });

  it('tells each response how much of the tightest budget is left', async () => {
    const day = budget({ scope: 'user:alice', window: 'day', limit_usd: 40 });
    const month = budget({ scope: 'team:platform', window: 'month', limit_usd: '0.5' });
    h = await startHarness({ price, policy: { rules: { budgets: [day, month], rateLimits: [], modelPolicies: [] } } });
    const res = await chat(h.key.key);
    await res.text();
    expect(res.headers.get('x-tollgate-budget-remaining')).toMatch(/^0\.5; scope=team:platform; window=month; resets=20\d\d-/);
  });

  it('draws on the pool once the member budget is spent, and the ledger says who drew', async () => {
    const p = pool({ id: 'platform-pool', scope: 'team:platform', window: 'month', limit_usd: 1 });
    const own = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.02', pool: 'platform-pool' });
    h = await startHarness({ price, policy: { rules: { budgets: [own, p], rateLimits: [], modelPolicies: [] } } });
    h.fake.setDefault({ usage: { input: 200, output: 50 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await chat(h.key.key);
      await r.text();
      statuses.push(r.status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const rows = await h.rows();
    // $0.02 holds two $0.007 requests (the third's $0.009 estimate does not fit); the pool pays for the rest.
    expect(rows.map((r) => r.pool)).toEqual([null, null, 'platform-pool', 'platform-pool', 'platform-pool', 'platform-pool']);
    await eventually(async () => {
      expect((await spentOn(own)).spent).toBe(14_000_000_000n);
      expect((await spentOn(p)).spent).toBe(28_000_000_000n);
    });
    const report = await h.tollgate.storage.ledger.aggregate({ by: ['pool', 'user'] });
    expect(report.find((r) => r.keys[0] === 'platform-pool')).toMatchObject({ keys: ['platform-pool', 'alice'], requests: 4, costPicos: 28_000_000_000n });
  });

  it('an increase request goes through approval to expiry, audited and alerted', async () => {
    let now = Date.now();
    const alerts = new MemorySink();
    const b = budget({ scope: 'user:alice', window: 'month', limit_usd: '0.005' });
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] }, alerts, now: () => now } });
    const p = h.tollgate.policy!;
    const first = await chat(h.key.key);
    expect(first.status).toBe(402);
    await first.text();

    const inc = await p.increases.request({ scope: parseScope('user:alice'), budgetId: null, amountPicos: usd('1'), hours: 24, reason: 'release week', requestedBy: 'alice' });
    expect(inc.status).toBe('pending');
    await p.increases.decide(inc.id, true, 'bob', 'ok for the release');
    await expect(p.increases.decide(inc.id, false, 'carol', null)).rejects.toThrow(/already approved/);
    await p.rules.refresh();
    const second = await chat(h.key.key);
    expect(second.status).toBe(200);
    await second.text();

    now += 25 * 3_600_000;
    await p.rules.refresh();
    const third = await chat(h.key.key);
    expect(third.status).toBe(402);
    await third.text();

    const audit = await p.store.listAudit({});
    expect(audit.map((a) => a.action).filter((a) => a.startsWith('increase.')).reverse()).toEqual(['increase.request', 'increase.approve', 'increase.expire']);
    expect(alerts.events.map((e) => e.type)).toEqual(expect.arrayContaining(['increase.requested', 'increase.approved', 'increase.expired']));
    expect((await p.store.getIncrease(inc.id))?.status).toBe('expired');
  });

  it('with amounts hidden, a budget alert link carries the share spent, not the dollars, and its page shows the percentage', async () => {
    const alerts = new MemorySink();
    const b = budget({ scope: 'team:platform', window: 'day', limit_usd: '0.01', thresholds: [10] });
    h = await startHarness({ price, policy: { settings: { ...DEFAULT_POLICY_SETTINGS, showAmounts: false }, rules: { budgets: [b], rateLimits: [], modelPolicies: [] }, alerts, signedLinks: { publicUrl: 'https://tollgate.example', secret: 'budget-page-signing-secret' } } });
    await (await chat(h.key.key)).text();
    const threshold = await eventually(() => {
      const e = alerts.events.find((x) => x.type === 'budget.threshold');
      expect(e && 'spendUrl' in e).toBe(true);
      return e as { spendUrl: string; spentPicos: bigint; limitPicos: bigint };
    });
    const url = new URL(threshold.spendUrl);
    expect(url.searchParams.get('limit')).toBe('10000');
    expect(url.searchParams.get('spent')).toBe(String((threshold.spentPicos * 10_000n) / threshold.limitPicos));
    const html = await (await fetch(`${h.url}/spend${url.search}`)).text();
    expect(html).not.toMatch(/\$\d/);
    expect(html).toContain(`${Number((threshold.spentPicos * 100n) / threshold.limitPicos)}%`);
  });

  it('links each budget alert to a signed page of where the spend went, served by the gateway without the admin token', async () => {
    const alerts = new MemorySink();
    const b = budget({ scope: 'team:platform', window: 'day', limit_usd: '0.01', thresholds: [10] });
    const secret = 'budget-page-signing-secret';
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] }, alerts, signedLinks: { publicUrl: 'https://tollgate.example', secret } } });
    for (let i = 0; i < 20; i++) {
      const r = await chat(h.key.key, {}, { 'x-tollgate-tags': 'workflow=release' });
      await r.text();
      if (r.status === 402) break;
    }
    const refused = await eventually(() => {
      const e = alerts.events.find((x) => x.type === 'budget.refused');
      expect(e).toBeDefined();
      return e!;
    });
    const rendered = renderAlert(refused, { showAmounts: true, now: 0 });
    const url = new URL(rendered.data.spend_url as string);
    expect(url.origin + url.pathname).toBe('https://tollgate.example/spend');
    expect(rendered.text).toContain(`Where it went: ${url.href}`);
    await eventually(() => {
      const threshold = alerts.events.find((x) => x.type === 'budget.threshold');
      expect(threshold && 'spendUrl' in threshold && threshold.spendUrl).toMatch(/^https:\/\/tollgate\.example\/spend\?/);
    });

    const res = await fetch(`${h.url}/spend${url.search}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Where team:platform daily went</h1>');
    // Alice (the harness key's user, on team platform) spent it all, on gpt-5, in the release workflow.
    // Every request of the window up to the alert counts, the refused one (no cost) included.
    const at = Number(url.searchParams.get('at'));
    const requests = (await h.rows()).filter((r) => r.ts <= at).length;
    expect(requests).toBeGreaterThan(1);
    expect(html).toMatch(new RegExp(`<tr><td>alice</td><td class="n">${requests}</td>`));
    expect(html).toMatch(/<tr><td>gpt-5[^<]*<\/td>/);
    expect(html).toMatch(/<tr><td>release<\/td>/);
    expect(html).toContain('100.0%');
    url.searchParams.set('s', 'org');
    expect((await fetch(`${h.url}/spend${url.search}`)).status).toBe(403);
  });

  it('alerts again when the budget is used up after an approved increase', async () => {
    const alerts = new MemorySink();
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.01', thresholds: [10, 50] });
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] }, alerts } });
    const p = h.tollgate.policy!;
    const untilRefused = async () => {
      for (let i = 0; i < 20; i++) {
        const r = await chat(h!.key.key);
        await r.text();
        if (r.status === 402) return;
      }
      throw new Error('never refused');
    };
    const seen = (type: string) => alerts.events.flatMap((e) => (e.type !== type ? [] : e.type === 'budget.threshold' ? [String(e.percent)] : e.type === 'budget.refused' ? [String(e.limitPicos)] : []));
    await untilRefused();
    await eventually(() => expect(seen('budget.refused')).toEqual([String(usd('0.01'))]));
    const inc = await p.increases.request({ scope: parseScope('user:alice'), budgetId: null, amountPicos: usd('0.01'), hours: 24, reason: 'release week', requestedBy: 'alice' });
    await p.increases.decide(inc.id, true, 'bob', null);
    await p.rules.refresh();
    // The approver is told when the extra is used up too: thresholds and the refusal are per limit, not only per window.
    await untilRefused();
    await eventually(() => expect(seen('budget.refused')).toEqual([String(usd('0.01')), String(usd('0.02'))]));
    // 10% of $0.01 before the increase; 10% and 50% of the raised $0.02 after it.
    await eventually(() => expect(seen('budget.threshold')).toEqual(['10', '10', '50']));
  });

  it('a request larger than the whole limit does not use up the alert for when the budget is spent', async () => {
    const alerts = new MemorySink();
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.01' });
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] }, alerts } });
    const refusals = () => alerts.events.flatMap((e) => (e.type === 'budget.refused' ? [e] : []));
    // At 0% spent, a request that could cost $0.07 (max_tokens 1000) can never fit a $0.01 budget.
    const huge = await chat(h.key.key, { max_tokens: 1000 });
    expect(huge.status).toBe(402);
    await huge.text();
    await eventually(() => expect(refusals()).toHaveLength(1));
    expect(renderAlert(refusals()[0]!, { showAmounts: true }).text).toMatch(/^Budget \*user:alice daily\* refused request .* it could cost up to \$0\.066, more than the whole limit \(\$0\.000 of \$0\.010 used\)/);
    for (let i = 0; i < 20; i++) {
      const r = await chat(h.key.key);
      await r.text();
      if (r.status === 402) break;
    }
    // The budget running out later in the window is still alerted.
    await eventually(() => expect(refusals()).toHaveLength(2));
    expect(renderAlert(refusals()[1]!, { showAmounts: true }).text).toMatch(/^Budget \*user:alice daily\* is spent/);
  });

  it('refusals reach the real SDKs with their message, and a 402 is not retried', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 0 });
    h = await startHarness({ price, policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] } } });
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 3 });
    const anthropic = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 3 });
    const e1 = await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(OpenAI.APIError);
    expect((e1 as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((e1 as Error).message).toMatch(/daily budget for user:alice/);
    const e2 = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(Anthropic.APIError);
    expect((e2 as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    expect((e2 as Error).message).toMatch(/daily budget for user:alice/);
    // One ledger row per call: neither SDK retried.
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.status, r.outcome])).toEqual([
      ['openai.chat', 402, 'rejected'],
      ['anthropic.messages', 402, 'rejected'],
    ]);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('model policy and rate limits', () => {
  it('rewrites to the default model visibly, honours keep when allowed, and denies in the client dialect', async () => {
    h = await startHarness({
      price,
      policy: {
        rules: {
          budgets: [],
          rateLimits: [],
          modelPolicies: [
            { id: 'web', name: null, scope: parseScope('team:platform'), allow: null, deny: ['claude-opus-4-1*'], rewrites: [{ from: 'claude-opus-*', to: 'claude-sonnet-4-5' }], allowKeep: true, source: 'config', createdAt: 0 },
          ],
        },
      },
    });
    const send = (model: string, headers: Record<string, string> = {}) =>
      fetch(`${h!.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': h!.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }) });
    const rewritten = await send('claude-opus-4-5');
    expect(rewritten.status).toBe(200);
    expect(rewritten.headers.get('x-tollgate-model-rewritten')).toBe('claude-opus-4-5->claude-sonnet-4-5');
    await rewritten.text();
    expect((h.fake.requests[0]!.json as { model: string }).model).toBe('claude-sonnet-4-5');
    const kept = await send('claude-opus-4-5', { 'x-tollgate-model-override': 'keep' });
    expect(kept.headers.get('x-tollgate-model-rewritten')).toBeNull();
    await kept.text();
    const denied = await send('claude-opus-4-1');
    expect(denied.status).toBe(403);
    const body = (await denied.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringMatching(/claude-opus-4-1 is not allowed for team:platform/) } });
    const rows = await h.rows();
    expect(rows.map((r) => [r.modelRequested, r.model, r.outcome])).toEqual([
      ['claude-opus-4-5', 'claude-sonnet-4-5', 'ok'],
      ['claude-opus-4-5', 'claude-opus-4-5', 'ok'],
      ['claude-opus-4-1', 'claude-opus-4-1', 'rejected'],
    ]);
  });

  it('answers a full rate limit with 429, retry-after, in the Gemini shape for Gemini clients', async () => {
    h = await startHarness({
      price,
      policy: { rules: { budgets: [], modelPolicies: [], rateLimits: [{ id: 'l1', name: null, scope: parseScope('user:alice'), rpm: 2, tpm: null, concurrency: null, fail: 'open', source: 'config', createdAt: 0 }] } },
    });
    const send = () =>
      fetch(`${h!.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': h!.key.key, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const r = await send();
      statuses.push(r.status);
      if (r.status === 429) {
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await r.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/user:alice allows 2 requests per minute/) } });
      } else await r.text();
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
