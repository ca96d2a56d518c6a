import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingStatusJson } from '../../src/cli/commands/routing-status.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

let h: Harness;

beforeAll(async () => {
  const dep = (name: string) => ({ provider: 'openai', name, headers: { 'x-dep': name } });
  h = await startHarness({
    routing: (url) =>
      routingFrom(
        {
          routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false }, health: { cooldown_failures: 2, cooldown_ms: 60_000 } },
          routes: [
            { model: 'gpt-5', deployments: [dep('se-only')] },
            { model: 'claude-big', deployments: [{ provider: 'anthropic', name: 'se-big', headers: { 'x-dep': 'se-big' } }], fallbacks: ['claude-small'], retry: { per_deployment: 2 } },
            { model: 'claude-small', deployments: [{ provider: 'anthropic', name: 'se-small', headers: { 'x-dep': 'se-small' } }], retry: { per_deployment: 2 } },
          ],
        },
        defaultProviders(url),
      ),
  });
});
afterAll(() => h.close());

async function status(): Promise<RoutingStatusJson> {
  const res = await fetch(`${h.url}/admin/v1/routing/status`, { headers: { authorization: 'Bearer admin-secret' } });
  return (await res.json()) as RoutingStatusJson;
}

describe('routing, when the answer fails inside its stream', () => {
  it('counts an overloaded or server error event inside a 200 stream against the deployment, as the 5xx it stands for', async () => {
    h.fake.script({ errorEventAfter: 2, error: { message: 'Overloaded', type: 'server_error' } }, { errorEventAfter: 1, error: { message: 'Overloaded', type: 'server_error' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 2; i++) {
      const stream = await client.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      await expect(async () => {
        for await (const _ of stream) void _;
      }).rejects.toThrow();
    }
    const only = (await status()).routes.find((r) => r.model === 'gpt-5')!.deployments[0]!;
    expect(only).toMatchObject({ deployment: 'se-only', available: false, recent: { outcomes: 2, failures: 2 } });
  });

  it('records a fallback error sent back as it came under the fallback model, with its provider', async () => {
    h.fake.script({ match: (r) => r.headers['x-dep'] === 'se-big', status: 429, headers: { 'retry-after': '30' } }, { match: (r) => r.headers['x-dep'] === 'se-small', status: 429, headers: { 'retry-after': '30' } });
    await h.mark();
    const res = await fetch(`${h.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-big', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-tollgate-deployment')).toBe('se-small');
    const [row] = await h.rows();
    expect(row).toMatchObject({ status: 429, model: 'claude-small', modelRequested: 'claude-big' });
  });
});
