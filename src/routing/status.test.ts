import { describe, expect, it } from 'vitest';
import { MAX_REST_MS } from './rate-limits.js';
import { Router } from './router.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type Route } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function deployment(id: string, o: Partial<Deployment> = {}): Deployment {
  return { id, provider: 'openai', dialect: 'openai', baseUrl: 'http://x', apiKey: undefined, headers: {}, catalog: undefined, model: undefined, weight: 1, order: 0, rpm: undefined, tpm: undefined, timeouts: { firstByteMs: 1000, requestMs: undefined }, ...o };
}

function setup() {
  const clock = { now: T0 };
  const r: Route = { model: 'gpt-5*', deployments: [deployment('a', { rpm: 600 }), deployment('b', { model: 'gpt-5-2025' })], fallbacks: ['mini'], retry: DEFAULT_RETRY, queue: DEFAULT_QUEUE, affinity: DEFAULT_AFFINITY };
  const health = { ...DEFAULT_HEALTH, cooldownFailures: 2, cooldownMs: 1000, breakerWindow: 4, breakerMinRequests: 4, breakerFailureRatio: 0.75, breakerOpenMs: 5000 };
  const router = new Router([r], health, { now: () => clock.now, random: () => 0 });
  const attempt = (id: string, report: Parameters<Router['finished']>[3]) => {
    const p = router.plan(r, 'gpt-5', undefined);
    const c = p.candidates.find((x) => x.d.id === id)!;
    router.started(p, c, 10);
    router.finished(p, c, 10, report);
  };
  const dep = (id: string) => router.status()[0]!.deployments.find((d) => d.deployment === id)!;
  return { router, clock, attempt, dep };
}

describe('routing status', () => {
  it('shows a fresh route as closed and in rotation, with nothing known of its rate limits', () => {
    const { router } = setup();
    expect(router.status()).toEqual([
      {
        model: 'gpt-5*',
        fallbacks: ['mini'],
        queued: 0,
        deployments: [
          expect.objectContaining({ deployment: 'a', available: true, breaker: 'closed', cooldown_until: null, ejected_until: null, shared_until: null, recent: { outcomes: 0, failures: 0, failure_rate: 0 }, rate_limit: { requests: null, tokens: null, blocked_until: null, rpm: 600, tpm: null, headroom: 1 } }),
          expect.objectContaining({ deployment: 'b', model: 'gpt-5-2025' }),
        ],
      },
    ]);
  });

  it('shows the last rate-limit headers less what was sent since, and a 429 resting the deployment', () => {
    const { attempt, dep, router, clock } = setup();
    const headers = { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '40', 'x-ratelimit-reset-requests': '20s', 'x-ratelimit-limit-tokens': '10000', 'x-ratelimit-remaining-tokens': '9000', 'x-ratelimit-reset-tokens': '1m0s' };
    attempt('a', { kind: 'ok', headers, tokens: 10 });
    expect(dep('a').rate_limit).toMatchObject({ requests: { limit: 100, remaining: 40, reset_at: at(20_000) }, tokens: { limit: 10_000, remaining: 9000, reset_at: at(60_000) }, headroom: 0.4 });
    // A request in flight is counted against what is left.
    const p = router.plan(router.routes[0]!, 'gpt-5', undefined);
    router.started(p, p.candidates[0]!, 10);
    expect(dep('a').rate_limit.requests!.remaining).toBe(39);
    expect(dep('a').in_flight).toBe(1);
    attempt('b', { kind: 'failed', status: 429, headers: { 'retry-after-ms': '3000' } });
    expect(dep('b')).toMatchObject({ available: true, breaker: 'closed', rate_limit: { blocked_until: at(3000) } });
    // Past the reset the window is full again.
    clock.now = T0 + 20_000;
    expect(dep('a').rate_limit.requests).toMatchObject({ remaining: 99, reset_at: at(40_000) });
  });

  it('rests a deployment at most a day for a wait no clock can hold, and its status still reads', () => {
    const { attempt, dep } = setup();
    attempt('a', { kind: 'failed', status: 429, headers: { 'retry-after': '1e20' } });
    attempt('b', { kind: 'ok', headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '99999999999999h' }, tokens: 10 });
    expect(dep('a').rate_limit.blocked_until).toBe(at(MAX_REST_MS));
    expect(dep('b').rate_limit.requests).toMatchObject({ remaining: 0, reset_at: at(MAX_REST_MS) });
  });

  it('shows a cooldown, then an open breaker and when it half-opens, with the recent failures', () => {
    const { attempt, dep, clock } = setup();
    attempt('a', { kind: 'unreachable' });
    expect(dep('a')).toMatchObject({ available: true, consecutive_failures: 1, recent: { outcomes: 1, failures: 1 } });
    attempt('a', { kind: 'failed', status: 500, headers: {} });
    expect(dep('a')).toMatchObject({ available: false, breaker: 'closed', cooldown_until: at(1000), consecutive_failures: 0, recent: { outcomes: 2, failures: 2 } });
    clock.now = T0 + 1000;
    attempt('a', { kind: 'ok', headers: {}, tokens: undefined });
    attempt('a', { kind: 'unreachable' });
    // 3 failures in the last 4 outcomes: the breaker opens.
    expect(dep('a')).toMatchObject({ available: false, breaker: 'open', breaker_open_until: at(6000), recent: { outcomes: 4, failures: 3 } });
    clock.now = T0 + 6000;
    expect(dep('a')).toMatchObject({ available: true, breaker: 'half_open', breaker_open_until: null });
  });
});
