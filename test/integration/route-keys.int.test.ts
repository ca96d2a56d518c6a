import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

let h: Harness;

/** A hosted API with no key configured (serve marks it by the catalog knowing its URL; here, by hand). */
const hosted = (url: string): UpstreamProvider => ({ name: 'hosted', dialect: 'openai', baseUrl: url, apiKey: undefined, models: ['none-*'], headers: {}, catalog: undefined, keyRequired: true });

beforeAll(async () => {
  h = await startHarness({
    providers: (url) => [...defaultProviders(url), hosted(url)],
    routing: (url) => {
      const options = routingFrom(
        {
          routing: { affinity: { enabled: false } },
          routes: [
            { model: 'keyless', deployments: [{ provider: 'hosted', name: 'k1' }, { provider: 'hosted', name: 'k2' }] },
            { model: 'half', deployments: [{ provider: 'hosted', name: 'h1' }, { provider: 'openai', name: 'h2', order: 1 }] },
          ],
        },
        [...defaultProviders(url), hosted(url)],
      );
      for (const r of options.routes) for (const d of r.deployments) d.keyRequired = d.provider === 'hosted';
      return options;
    },
  });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

const chat = (model: string) =>
  request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key.key}` }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });

describe('a route to hosted APIs with no key configured', () => {
  it('refuses a Tollgate key with provider_key_missing when none of its deployments has a key, before going upstream', async () => {
    const res = await chat('keyless');
    expect(res.statusCode).toBe(401);
    const body = (await res.body.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('provider_key_missing');
    expect(body.error.message).toContain('route "keyless" (k1, k2)');
    expect(h.fake.requests).toHaveLength(0);
    expect(await h.row(String(res.headers['x-tollgate-request-id']))).toMatchObject({ outcome: 'rejected', errorType: 'provider_key_missing', attempts: 0 });
  });

  it('sends a Tollgate key only to the deployments that have a key, even when a keyless one comes first', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await chat('half');
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    }
    expect(h.fake.requests).toHaveLength(4);
    for (const r of h.fake.requests) expect(r.headers.authorization).toBe('Bearer sk-upstream-openai');
  });
});
