import Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { TEST_REDIS } from '../support/redis.js';
import { routingFrom, sentTo, taggedDeployment } from '../support/routing.js';

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const x of open.reverse()) await x.close();
});

const hi = [{ role: 'user' as const, content: 'hi' }];

/** A Claude subscription's 429 at its five-hour limit, as Claude Code reads it. */
function rejected(deployment: string, reset: string) {
  return { match: sentTo(deployment), status: 429, headers: { 'retry-after': '3600', 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': reset, 'anthropic-ratelimit-unified-representative-claim': 'five_hour' } };
}

async function gateway(up: FakeUpstream, extra: Parameters<typeof routingFrom>[2] = {}): Promise<Harness> {
  const h = await startHarness({
    routing: () =>
      routingFrom(
        {
          routing: { health: { refresh_ms: 50 }, affinity: { enabled: false }, retry: { max_wait_ms: 500 } },
          routes: [{ model: 'claude-sonnet-4-5', deployments: [taggedDeployment('anthropic', 'sub-a'), taggedDeployment('anthropic', 'sub-b')], retry: { per_deployment: 1 }, queue: { max_wait_ms: 100 } }],
        },
        defaultProviders(up.url),
        extra,
      ),
  });
  open.push(h);
  return h;
}

const ask = (h: Harness) =>
  new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 }).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: hi }).then(
    () => expect.unreachable(),
    (e: unknown) => e as InstanceType<typeof Anthropic.RateLimitError>,
  );

describe('the gateway 429 while every deployment rests on an upstream 429', () => {
  it('carries the rate-limit headers of that 429 (Claude Code reads anthropic-ratelimit-unified-*), with its own retry-after', async () => {
    const up = await startFakeUpstream();
    open.push(up);
    const h = await gateway(up);
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    up.script(rejected('sub-a', reset), rejected('sub-b', reset));
    const first = await ask(h);
    expect(first.status).toBe(429);
    expect(first.headers?.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(up.requests).toHaveLength(2);

    // Both deployments rest for an hour: the gateway answers itself, without asking upstream.
    const second = await ask(h);
    expect(second.status).toBe(429);
    expect(second.error).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect(up.requests).toHaveLength(2);
    expect(Number(second.headers?.get('retry-after'))).toBeGreaterThan(3500);
    expect(second.headers?.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(second.headers?.get('anthropic-ratelimit-unified-reset')).toBe(reset);
    expect(second.headers?.get('anthropic-ratelimit-unified-representative-claim')).toBe('five_hour');
    const rows = await h.rows();
    expect(rows.map((r) => [r.status, r.errorType, r.attempts])).toEqual([
      [429, 'rate_limit_error', 2],
      [429, 'capacity_exhausted', 0],
    ]);
  });

  it('carries them on another replica too, which learnt of the pause through Redis', async () => {
    const up = await startFakeUpstream();
    open.push(up);
    const prefix = `{tgtest-limit-headers-${process.pid}-${Math.random().toString(36).slice(2, 8)}}:health:`;
    const [one, two] = [await gateway(up, { redisUrl: TEST_REDIS, redisPrefix: prefix }), await gateway(up, { redisUrl: TEST_REDIS, redisPrefix: prefix })];
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    up.script(rejected('sub-a', reset), rejected('sub-b', reset));
    expect((await ask(one)).status).toBe(429);
    const paused = () => two.tollgate.router!.status()[0]!.deployments.every((d) => d.rate_limit.blocked_until !== null);
    await eventually(() => expect(paused()).toBe(true));
    const other = await ask(two);
    expect(up.requests).toHaveLength(2);
    expect(other.headers?.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(other.headers?.get('anthropic-ratelimit-unified-reset')).toBe(reset);
  });
});
