import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { testCertificate } from '../support/certs.js';
import { type Harness, startHarness } from '../support/harness.js';

// A provider whose certificate this machine does not trust: what a company proxy that inspects TLS
// looks like to the gateway until its authority is added.
describe('an upstream whose certificate is not trusted', () => {
  let tlsFake: FakeUpstream;
  let h: Harness;
  beforeAll(async () => {
    const cert = testCertificate('localhost');
    tlsFake = await startFakeUpstream({ tls: { key: readFileSync(cert.key, 'utf8'), cert: readFileSync(cert.cert, 'utf8') } });
    h = await startHarness({ providers: () => [{ name: 'openai', dialect: 'openai', baseUrl: `https://localhost:${tlsFake.port}`, apiKey: 'sk-o', models: undefined, headers: {}, catalog: 'openai' }] });
  });
  afterAll(async () => {
    await h.close();
    await tlsFake.close();
  });

  it('tells the client why, and what to do, and records the request', async () => {
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(502);
    const body = (await res.body.json()) as { error: { message: string } };
    expect(body.error.message).toBe(
      `Could not reach the upstream https://localhost:${tlsFake.port} (UNABLE_TO_VERIFY_LEAF_SIGNATURE): its certificate is not from an authority this machine trusts; where a proxy inspects TLS, give Node that proxy's authority with NODE_EXTRA_CA_CERTS=/path/to/ca.pem.`,
    );
    expect(tlsFake.requests).toHaveLength(0);
    expect(await h.rows()).toEqual([expect.objectContaining({ status: 502, outcome: 'upstream_error', errorType: 'upstream_unreachable' })]);
  });
});
