import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import type { RoutingStatusJson } from '../../src/cli/commands/routing-status.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

let h: Harness;
let plain: Harness;

beforeAll(async () => {
  const dep = (name: string, extra: Record<string, unknown> = {}) => ({ provider: 'openai', name, headers: { 'x-dep': name }, ...extra });
  h = await startHarness({
    routing: (url) =>
      routingFrom(
        {
          routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false }, health: { cooldown_failures: 2, cooldown_ms: 60_000 } },
          routes: [{ model: 'gpt-5', deployments: [dep('st-bad'), dep('st-good', { order: 1, rpm: 600 })] }],
        },
        defaultProviders(url),
      ),
  });
  plain = await startHarness();
});
afterAll(async () => {
  await h.close();
  await plain.close();
});

/** The CLI in this process, as an operator would run it. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('routing status', () => {
  it('shows each deployment\'s breaker, cooldown, recent failures and rate-limit room, over the admin API and the CLI', async () => {
    const limits = { 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '321', 'x-ratelimit-reset-requests': '30s', 'x-ratelimit-limit-tokens': '90000', 'x-ratelimit-remaining-tokens': '88000', 'x-ratelimit-reset-tokens': '45s' };
    h.fake.script({ match: (r) => r.headers['x-dep'] === 'st-bad', status: 500 }, { match: (r) => r.headers['x-dep'] === 'st-good', headers: limits }, { match: (r) => r.headers['x-dep'] === 'st-bad', status: 500 }, { match: (r) => r.headers['x-dep'] === 'st-good', headers: limits });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });

    expect((await fetch(`${h.url}/admin/v1/routing/status`)).status).toBe(401);
    const res = await fetch(`${h.url}/admin/v1/routing/status`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RoutingStatusJson;
    const [route] = body.routes;
    expect(route).toMatchObject({ model: 'gpt-5', fallbacks: [], queued: 0 });
    const bad = route!.deployments.find((d) => d.deployment === 'st-bad')!;
    const good = route!.deployments.find((d) => d.deployment === 'st-good')!;
    expect(bad).toMatchObject({ available: false, breaker: 'closed', cooldown_until: expect.any(String), recent: { outcomes: 2, failures: 2 }, rate_limit: { requests: { limit: 10_000 }, blocked_until: null } });
    // The fake's default headers (10,000 requests, 6 ms reset) came with its 500s too.
    expect(Date.parse(bad.cooldown_until!) - Date.now()).toBeGreaterThan(50_000);
    expect(good).toMatchObject({ available: true, breaker: 'closed', cooldown_until: null, recent: { outcomes: 2, failures: 0 }, rate_limit: { requests: { limit: 500, remaining: 321 }, tokens: { limit: 90_000, remaining: 88_000 }, rpm: 600 } });
    expect(Date.parse(good.rate_limit.requests!.reset_at) - Date.now()).toBeGreaterThan(25_000);

    process.env.TOLLGATE_ADMIN_TOKEN = 'admin-secret';
    try {
      const table = await cli('routing', 'status', '--url', h.url);
      expect(table.err).toBe('');
      expect(table.code).toBe(0);
      expect(table.out).toMatch(/ROUTE +DEPLOYMENT +BREAKER +OUT OF ROTATION \(UTC\) +FAILURES +REQUESTS LEFT +TOKENS LEFT +RESETS \(UTC\)/);
      expect(table.out).toMatch(/gpt-5 +st-bad +closed +cooldown to \d\d:\d\d:\d\d +2\/2 +[\d,]+\/10,000 +[\d,]+\/30,000,000 /);
      expect(table.out).toMatch(/gpt-5 +st-good +closed +- +0\/2 +321\/500 +88,000\/90,000 +\d\d:\d\d:\d\d, \d\d:\d\d:\d\d/);
      const json = await cli('routing', 'status', '--url', h.url, '--json');
      expect((JSON.parse(json.out) as RoutingStatusJson).routes[0]!.deployments.map((d) => d.deployment)).toEqual(['st-bad', 'st-good']);
      expect((await cli('routing', 'status', '--url', plain.url)).out).toMatch(/^No routes are configured in this gateway/);
      delete process.env.TOLLGATE_ADMIN_TOKEN;
      expect((await cli('routing', 'status', '--url', h.url)).err).toMatch(/^tollgate: set TOLLGATE_ADMIN_TOKEN/);
    } finally {
      delete process.env.TOLLGATE_ADMIN_TOKEN;
    }
  });
});
