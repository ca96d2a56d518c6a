import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';
import { TEST_REDIS } from '../support/redis.js';

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const x of open.reverse()) await x.close();
});

describe('deployment health shared through Redis', () => {
  it('a deployment one gateway saw failing is skipped by another gateway', async () => {
    const up: FakeUpstream = await startFakeUpstream();
    open.push(up);
    const prefix = `{tgtest-replicas-${process.pid}-${Math.random().toString(36).slice(2, 8)}}:health:`;
    const gateway = async (): Promise<Harness> => {
      const h = await startHarness({
        routing: () =>
          routingFrom(
            {
              routing: { health: { cooldown_failures: 1, cooldown_ms: 60_000, refresh_ms: 50 } },
              routes: [{ model: 'gpt-5', deployments: [{ provider: 'openai', name: 'rep-a', headers: { 'x-dep': 'a' } }, { provider: 'openai', name: 'rep-b', headers: { 'x-dep': 'b' }, order: 1 }], retry: { per_deployment: 1 } }],
            },
            defaultProviders(up.url),
            { redisUrl: TEST_REDIS, redisPrefix: prefix },
          ),
      });
      open.push(h);
      return h;
    };
    const [one, two] = [await gateway(), await gateway()];
    const ask = (h: Harness) => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }).withResponse();

    up.script({ match: (r) => r.headers['x-dep'] === 'a', status: 500 });
    const first = await ask(one);
    expect(first.response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(up.requests.map((r) => r.headers['x-dep'])).toEqual(['a', 'b']);

    // The second gateway never talked to rep-a, yet learns it is cooling down.
    await eventually(() => expect(two.tollgate.router!.snapshot().find((d) => d.id === 'rep-a')!.available).toBe(false));
    up.reset();
    const second = await ask(two);
    expect(second.response.headers.get('x-tollgate-attempts')).toBe('1');
    expect(second.response.headers.get('x-tollgate-deployment')).toBe('rep-b');
    expect(up.requests.map((r) => r.headers['x-dep'])).toEqual(['b']);
  });

  it('a deployment one gateway used up, by its rate-limit headers, is avoided by another gateway', async () => {
    const [limited, spare] = [await startFakeUpstream(), await startFakeUpstream()];
    open.push(limited, spare);
    limited.setRateLimit({ requests: 3, windowMs: 30_000 });
    const prefix = `{tgtest-rates-${process.pid}-${Math.random().toString(36).slice(2, 8)}}:health:`;
    const gateway = async (): Promise<Harness> => {
      const h = await startHarness({
        routing: () =>
          routingFrom(
            {
              routing: { health: { refresh_ms: 50 }, affinity: { enabled: false } },
              routes: [
                {
                  model: 'gpt-5',
                  deployments: [
                    { provider: 'openai', name: 'rl-a', base_url: limited.url },
                    { provider: 'openai', name: 'rl-b', base_url: spare.url, order: 1 },
                  ],
                  // A 429 goes back to the client: only knowing rl-a is used up avoids it.
                  retry: { on: ['server_error'] },
                },
              ],
            },
            defaultProviders(limited.url),
            { redisUrl: TEST_REDIS, redisPrefix: prefix },
          ),
      });
      open.push(h);
      return h;
    };
    const [one, two] = [await gateway(), await gateway()];
    const ask = (h: Harness) => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }).withResponse();

    for (let i = 0; i < 3; i++) expect((await ask(one)).response.headers.get('x-tollgate-deployment')).toBe('rl-a');
    expect(limited.requests).toHaveLength(3);
    // The second gateway never talked to rl-a, yet learns that it has no requests left this window.
    const a = () => two.tollgate.router!.status()[0]!.deployments.find((d) => d.deployment === 'rl-a')!;
    await eventually(() => expect(a().rate_limit.requests).toMatchObject({ limit: 3, remaining: 0 }));
    const second = await ask(two);
    expect(second.response.headers.get('x-tollgate-deployment')).toBe('rl-b');
    expect(limited.limited).toBe(0);
    expect(limited.requests).toHaveLength(3);
    expect(spare.requests).toHaveLength(1);
  });
});
