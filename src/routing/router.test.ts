import { describe, expect, it } from 'vitest';
import { prefixKey } from './affinity.js';
import { MemoryHealthStore } from './health-store/memory.js';
import { Router } from './router.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type Route } from './types.js';

const T0 = 1_000_000;

function deployment(id: string, o: Partial<Deployment> = {}): Deployment {
  return { id, provider: 'openai', dialect: 'openai', baseUrl: 'http://x', apiKey: undefined, headers: {}, catalog: undefined, model: undefined, weight: 1, order: 0, rpm: undefined, tpm: undefined, timeouts: { firstByteMs: 1000, requestMs: undefined }, ...o };
}

function route(model: string, deployments: Deployment[], o: Partial<Route> = {}): Route {
  return { model, deployments, fallbacks: [], retry: DEFAULT_RETRY, queue: DEFAULT_QUEUE, affinity: DEFAULT_AFFINITY, ...o };
}

function setup(routes: Route[], random = () => 0.5) {
  const clock = { now: T0 };
  const router = new Router(routes, { ...DEFAULT_HEALTH, cooldownFailures: 2, cooldownMs: 1000 }, { now: () => clock.now, random });
  return { router, clock };
}

describe('router', () => {
  it('matches routes by glob and dialect, and leaves other models to the plain path', () => {
    const { router } = setup([route('gpt-5*', [deployment('a')])]);
    expect(router.routeFor('openai', 'gpt-5-mini')?.model).toBe('gpt-5*');
    expect(router.routeFor('anthropic', 'gpt-5')).toBeUndefined();
    expect(router.routeFor('openai', 'o3')).toBeUndefined();
    expect(router.routesDialect('openai')).toBe(true);
    expect(router.routesDialect('anthropic')).toBe(false);
  });

  it('uses lower orders first, then the fallback model, asking each deployment for its own model name', () => {
    const r = route('m', [deployment('b', { order: 1 }), deployment('a')], { fallbacks: ['other'] });
    const { router } = setup([r, route('other', [deployment('f', { model: 'other-v2' })])]);
    const plan = router.plan(r, 'm', undefined);
    expect(plan.candidates.map((c) => [c.d.id, c.tier, c.model])).toEqual([
      ['a', 0, 'm'],
      ['b', 0, 'm'],
      ['f', 1, 'other-v2'],
    ]);
    const first = router.next(plan, 10);
    expect(first).toMatchObject({ kind: 'go', c: { d: { id: 'a' } } });
  });

  it('a plan made alone is one try whose failures stay with its request, even under a configured deployment’s name', async () => {
    const store = new MemoryHealthStore();
    const router = new Router([route('m', [deployment('openai')])], { ...DEFAULT_HEALTH, cooldownFailures: 2 }, { store, now: () => T0 });
    for (let i = 0; i < 3; i++) {
      const plan = router.alone(deployment('openai', { baseUrl: 'http://plain' }), 'other');
      expect(plan.candidates.map((c) => [c.d.baseUrl, c.model])).toEqual([['http://plain', 'other']]);
      const p = router.next(plan, 1) as { kind: 'go'; c: (typeof plan.candidates)[number] };
      expect(p.kind).toBe('go');
      router.started(plan, p.c, 1);
      router.finished(plan, p.c, 1, { kind: 'failed', status: 500, headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '60s' } });
      expect(router.next(plan, 1)).toEqual({ kind: 'none' });
    }
    // Three failures past the cooldown threshold, a rate limit read: the configured deployment of that name, and other replicas, know none of them.
    await router.refresh();
    expect(await store.read(['openai'], T0)).toEqual([]);
    expect(await store.readRates(['openai'], T0)).toEqual([]);
    expect(router.snapshot()).toEqual([{ id: 'openai', breaker: 'closed', available: true, headroom: 1 }]);
  });

  it('a pinned plan tries only the named deployment, with its route\'s policy, and shares its health', () => {
    const r = route('m', [deployment('a'), deployment('b')], { fallbacks: ['other'], retry: { ...DEFAULT_RETRY, perDeployment: 1 } });
    const { router } = setup([r, route('other', [deployment('f', { model: 'other-v2' })])]);
    expect(router.pin('nope', 'm')).toBeUndefined();
    const plan = router.pin('f', 'asked')!;
    expect(plan.route.model).toBe('other');
    expect(plan.candidates.map((c) => [c.d.id, c.model])).toEqual([['f', 'other-v2']]);
    const pinned = router.pin('b', 'm')!;
    const p = router.next(pinned, 1);
    expect(p).toMatchObject({ kind: 'go', c: { d: { id: 'b' } } });
    const c = (p as { c: (typeof pinned.candidates)[number] }).c;
    router.started(pinned, c, 1);
    router.finished(pinned, c, 1, { kind: 'failed', status: 500, headers: {} });
    // Its one try is spent: no peer, no fallback.
    expect(router.next(pinned, 1)).toEqual({ kind: 'none' });
    expect(router.deployment('b')?.id).toBe('b');
  });

  it('after a failure, moves to the next deployment; once all are tried, waits out the backoff; then gives up', () => {
    const r = route('m', [deployment('a'), deployment('b', { order: 1 })], { retry: { ...DEFAULT_RETRY, attempts: 3, perDeployment: 2, backoffMs: 100 } });
    const { router, clock } = setup([r], () => 1);
    const plan = router.plan(r, 'm', undefined);
    const go = (id: string) => {
      const p = router.next(plan, 1);
      expect(p).toMatchObject({ kind: 'go', c: { d: { id } } });
      const c = (p as { c: (typeof plan.candidates)[number] }).c;
      router.started(plan, c, 1);
      router.finished(plan, c, 1, { kind: 'failed', status: 500, headers: {} });
    };
    go('a');
    go('b');
    expect(router.next(plan, 1)).toEqual({ kind: 'wait', until: T0 + 100, capacity: false });
    clock.now = T0 + 100;
    go('a');
    expect(router.next(plan, 1)).toEqual({ kind: 'none' });
  });

  it('rests a deployment that answered 429 for every request until its retry-after, and picks another', () => {
    const r = route('m', [deployment('a'), deployment('b', { order: 1 })]);
    const { router, clock } = setup([r]);
    const p1 = router.plan(r, 'm', undefined);
    const a = (router.next(p1, 1) as { c: (typeof p1.candidates)[number] }).c;
    router.started(p1, a, 1);
    router.finished(p1, a, 1, { kind: 'failed', status: 429, headers: { 'retry-after-ms': '500' } });
    const p2 = router.plan(r, 'm', undefined);
    expect(router.next(p2, 1)).toMatchObject({ kind: 'go', c: { d: { id: 'b' } } });
    clock.now = T0 + 500;
    expect(router.next(router.plan(r, 'm', undefined), 1)).toMatchObject({ kind: 'go', c: { d: { id: 'a' } } });
  });

  it('rests a deployment whose Claude subscription answered 429 until its unified reset, which names no retry-after', () => {
    const r = route('m', [deployment('a', { dialect: 'anthropic', provider: 'anthropic' }), deployment('b', { dialect: 'anthropic', provider: 'anthropic', order: 1 })]);
    const { router, clock } = setup([r]);
    const p1 = router.plan(r, 'm', undefined);
    const a = (router.next(p1, 1) as { c: (typeof p1.candidates)[number] }).c;
    router.started(p1, a, 1);
    const reset = String(Math.floor(T0 / 1000) + 3600);
    router.finished(p1, a, 1, { kind: 'failed', status: 429, headers: { 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': reset } });
    clock.now = T0 + 60_000;
    expect(router.next(router.plan(r, 'm', undefined), 1)).toMatchObject({ kind: 'go', c: { d: { id: 'b' } } });
    clock.now = T0 + 3_600_000;
    expect(router.next(router.plan(r, 'm', undefined), 1)).toMatchObject({ kind: 'go', c: { d: { id: 'a' } } });
  });

  it('waits for capacity when every deployment is at its limit', () => {
    const r = route('m', [deployment('a'), deployment('b')]);
    const { router } = setup([r]);
    for (const id of ['a', 'b']) {
      const p = router.plan(r, 'm', undefined);
      const c = p.candidates.find((x) => x.d.id === id)!;
      router.started(p, c, 1);
      router.finished(p, c, 1, { kind: 'ok', headers: { 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': id === 'a' ? '300ms' : '200ms' }, tokens: 1 });
    }
    expect(router.next(router.plan(r, 'm', undefined), 1)).toEqual({ kind: 'wait', until: T0 + 200, capacity: true });
    expect(router.enqueue(r)).toBe(true);
  });

  it('keeps a session on its deployment unless another has ten times the headroom', () => {
    const r = route('m', [deployment('a'), deployment('b')]);
    // random 0.99 always draws the last eligible deployment, so stickiness is what keeps "a".
    const { router } = setup([r], () => 0.99);
    const serve = (id: string | undefined, remaining: string) => {
      const p = router.plan(r, 'm', 's:1');
      const pick = router.next(p, 1) as { kind: string; c: (typeof p.candidates)[number] };
      const c = id ? p.candidates.find((x) => x.d.id === id)! : pick.c;
      router.started(p, c, 1);
      router.finished(p, c, 1, { kind: 'ok', headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': remaining, 'x-ratelimit-reset-requests': '10s' }, tokens: 1 });
      return pick.c.d.id;
    };
    serve('a', '50');
    expect(serve(undefined, '50')).toBe('a');
    // Headroom 0.05 against 1.0: a miss is now cheaper than the load.
    serve('a', '5');
    expect(serve(undefined, '5')).toBe('b');
  });

  it('opens a cooldown after repeated failures, visible to later requests', () => {
    const r = route('m', [deployment('a'), deployment('b', { order: 1 })]);
    const { router, clock } = setup([r]);
    for (let i = 0; i < 2; i++) {
      const p = router.plan(r, 'm', undefined);
      const c = p.candidates[0]!;
      router.started(p, c, 1);
      router.finished(p, c, 1, { kind: 'unreachable' });
    }
    expect(router.snapshot().find((s) => s.id === 'a')!.available).toBe(false);
    expect(router.next(router.plan(r, 'm', undefined), 1)).toMatchObject({ kind: 'go', c: { d: { id: 'b' } } });
    clock.now = T0 + 1000;
    expect(router.next(router.plan(r, 'm', undefined), 1)).toMatchObject({ kind: 'go', c: { d: { id: 'a' } } });
  });

  it('gives a half-open probe answered 429 back: the deployment is tried again once its rest ends', () => {
    const r = route('m', [deployment('a'), deployment('b', { order: 1 })]);
    const clock = { now: T0 };
    const router = new Router([r], { ...DEFAULT_HEALTH, cooldownFailures: 100, breakerMinRequests: 2, breakerWindow: 2, breakerOpenMs: 1000 }, { now: () => clock.now, random: () => 0.5 });
    const attempt = (report: Parameters<Router['finished']>[3]) => {
      const p = router.plan(r, 'm', undefined);
      const got = router.next(p, 1);
      if (got.kind !== 'go') throw new Error(`no deployment: ${got.kind}`);
      router.started(p, got.c, 1);
      router.finished(p, got.c, 1, report);
      return got.c.d.id;
    };
    attempt({ kind: 'unreachable' });
    attempt({ kind: 'unreachable' });
    expect(router.snapshot().find((s) => s.id === 'a')).toMatchObject({ breaker: 'open', available: false });
    clock.now = T0 + 1000;
    // The probe: a rate limit, which says nothing of the deployment's health.
    expect(attempt({ kind: 'failed', status: 429, headers: { 'retry-after': '1' } })).toBe('a');
    clock.now = T0 + 2001;
    expect(attempt({ kind: 'ok', headers: {}, tokens: undefined })).toBe('a');
    expect(router.snapshot().find((s) => s.id === 'a')).toMatchObject({ breaker: 'closed', available: true });
  });
});

describe('prompt-prefix key', () => {
  it('hashes the system prompt and tools, ignores the rest, and skips short prefixes', () => {
    const system = 'You are a coding agent. '.repeat(300);
    const tools = [{ name: 'bash', input_schema: { type: 'object' } }];
    const a = prefixKey('anthropic.messages', { system, tools, messages: [{ role: 'user', content: 'one' }] }, 4096);
    const b = prefixKey('anthropic.messages', { system, tools, messages: [{ role: 'user', content: 'two' }] }, 4096);
    expect(a).toMatch(/^p:/);
    expect(a).toBe(b);
    expect(prefixKey('anthropic.messages', { system: system + '!', tools }, 4096)).not.toBe(a);
    expect(prefixKey('openai.chat', { messages: [{ role: 'system', content: system }] }, 4096)).toMatch(/^p:/);
    expect(prefixKey('openai.chat', { messages: [{ role: 'user', content: system }] }, 4096)).toBeUndefined();
    expect(prefixKey('anthropic.messages', { system: 'short' }, 4096)).toBeUndefined();
  });
});

describe('rate limits shared between replicas', () => {
  it('a replica learns another one\'s rate-limit view and 429 pause on refresh, and keeps its own newer view', async () => {
    const store = new MemoryHealthStore();
    const clock = { now: T0 };
    const r = route('m', [deployment('a'), deployment('b', { order: 1 })], { retry: { ...DEFAULT_RETRY, perDeployment: 1 } });
    const make = () => new Router([r], DEFAULT_HEALTH, { store, now: () => clock.now, random: () => 0 });
    const [one, two] = [make(), make()];
    const serve = (router: Router, id: string, report: Parameters<Router['finished']>[3]) => {
      const p = router.plan(r, 'm', undefined);
      const c = p.candidates.find((x) => x.d.id === id)!;
      router.started(p, c, 1);
      router.finished(p, c, 1, report);
    };
    const first = (router: Router) => (router.next(router.plan(r, 'm', undefined), 1) as { c?: { d: { id: string } } }).c?.d.id;
    const full = { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '10s' };
    serve(one, 'a', { kind: 'ok', headers: full, tokens: 1 });
    expect(first(one)).toBe('b');
    expect(first(two)).toBe('a');
    await one.refresh();
    await two.refresh();
    expect(first(two)).toBe('b');
    expect(two.status()[0]!.deployments[0]!.rate_limit.requests).toMatchObject({ limit: 10, remaining: 0 });

    // A view older than this replica's own is ignored.
    clock.now += 1000;
    serve(two, 'b', { kind: 'ok', headers: { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '7', 'x-ratelimit-reset-requests': '10s' }, tokens: 1 });
    await store.shareRates([{ deployment: 'b', at: clock.now - 500, snapshot: { requests: { limit: 10, remaining: 0, resetAt: clock.now + 9000 } }, blockedUntil: 0 }]);
    await two.refresh();
    expect(two.status()[0]!.deployments[1]!.rate_limit.requests!.remaining).toBe(7);

    // A 429's pause travels too.
    clock.now += 100;
    serve(one, 'b', { kind: 'failed', status: 429, headers: { 'retry-after-ms': '4000' } });
    await one.refresh();
    await two.refresh();
    expect(two.status()[0]!.deployments[1]!.rate_limit.blocked_until).toBe(new Date(clock.now + 4000).toISOString());
    // Past the reset, the shared counts lapse and both deployments are usable again.
    clock.now += 10_000;
    await two.refresh();
    expect(first(two)).toBe('a');
  });
});
