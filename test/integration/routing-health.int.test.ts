import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { routingFrom, sentTo as at, taggedDeployment as dep } from '../support/routing.js';

// One deployment per route, whose breaker opens after two failures in a row and half-opens 300 ms later, letting one probe through.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    routing: (url) =>
      routingFrom(
        {
          routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false }, health: { cooldown_failures: 100, breaker_window: 2, breaker_min_requests: 2, breaker_open_ms: 300 } },
          routes: [
            { model: 'probe-429', deployments: [dep('openai', 'p429')], queue: { max_wait_ms: 200 } },
            { model: 'probe-slow', deployments: [dep('openai', 'pslow')], retry: { max_wait_ms: 500 } },
          ],
        },
        defaultProviders(url),
      ),
  });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

const hi = [{ role: 'user' as const, content: 'hi' }];
const ask = (model: string) =>
  new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions.create({ model, messages: hi }).then(
    () => 'ok',
    (e: { status?: number; code?: string }) => `${e.status} ${e.code}`,
  );
const breaker = (id: string) => h.tollgate.router!.status()[0]!.deployments.concat(h.tollgate.router!.status()[1]!.deployments).find((d) => d.deployment === id)!.breaker;

/** Opens the deployment's breaker with two 500s, and waits until it lets a probe through. */
async function openBreaker(model: string, id: string): Promise<void> {
  h.fake.script({ match: at(id), status: 500, times: 2 });
  expect([await ask(model), await ask(model)]).toEqual(['500 null', '500 null']);
  expect(breaker(id)).toBe('open');
  await eventually(() => expect(breaker(id)).toBe('half_open'));
}

describe('a half-open breaker', () => {
  it('takes the deployment back once a probe answered 429 has rested, rather than keeping it out for good', async () => {
    await openBreaker('probe-429', 'p429');
    h.fake.script({ match: at('p429'), status: 429, headers: { 'retry-after': '0' } });
    expect(await ask('probe-429')).toBe('429 rate_limit_exceeded');
    // Without the fix the probe's place was never given back: every later request waited on it.
    expect(await ask('probe-429')).toBe('ok');
    expect(breaker('p429')).toBe('closed');
  });

  it('while its probe is in flight, bounds a request waiting for it by retry.max_wait_ms', async () => {
    await openBreaker('probe-slow', 'pslow');
    let release!: () => void;
    h.fake.script({ match: at('pslow'), until: new Promise<void>((ok) => (release = ok)) });
    const probe = ask('probe-slow');
    await eventually(() => expect(h.fake.requests).toHaveLength(3));
    const started = Date.now();
    // Without the fix it asked again every 100 ms, each wait within retry.max_wait_ms, for as long as the probe took.
    const other = await Promise.race([ask('probe-slow'), new Promise((ok) => setTimeout(() => ok('still waiting'), 3000))]);
    const waited = Date.now() - started;
    release();
    expect(other).toBe('429 capacity_exhausted');
    expect(waited).toBeLessThan(2000);
    expect(await probe).toBe('ok');
    expect(breaker('pslow')).toBe('closed');
  });
});
