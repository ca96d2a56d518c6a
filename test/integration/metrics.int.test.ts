import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function series(text: string, line: string): number | undefined {
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

describe('GET /metrics', () => {
  it('needs the admin token', async () => {
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${h.key.key}` } })).status).toBe(401);
    const post = await fetch(`${h.url}/metrics`, { method: 'POST', headers: { authorization: 'Bearer admin-secret' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('counts what the ledger holds: requests by outcome, tokens and spend, with no ledger row of its own', async () => {
    await h.mark();
    h.fake.script({ usage: { input: 1200, cacheRead: 1024, output: 80 }, model: 'gpt-5-mini-2025-08-07', times: 2 });
    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: h.key.key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await client.chat.completions.create({ model: 'gpt-5-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of stream) void _;
    const refused = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'tg_not_a_key', maxRetries: 0 });
    await expect(refused.chat.completions.create({ model: 'gpt-5-mini', messages: [] })).rejects.toThrow();

    const res = await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const rows = await h.rows();
    expect(rows).toHaveLength(3);
    const ok = rows.filter((r) => r.outcome === 'ok');
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="openai",model="gpt-5-mini-2025-08-07",outcome="ok"}')).toBe(2);
    // Refused from its headers, before its body (and model) was read or a provider chosen: both are ''.
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="",model="",outcome="rejected"}')).toBe(1);
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5-mini-2025-08-07",class="input"}')).toBe(ok.reduce((s, r) => s + r.inputTokens, 0));
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5-mini-2025-08-07",class="cache_read"}')).toBe(2048);
    const picos = ok.reduce((s, r) => s + r.costPicos!, 0n);
    expect(series(text, 'tollgate_cost_usd_total{provider="openai",model="gpt-5-mini-2025-08-07",team="platform"}')).toBe(Number(picos) / 1e12);
    expect(series(text, 'tollgate_time_to_first_token_seconds_count{api="openai.chat",provider="openai"}')).toBe(1);
    expect(series(text, 'tollgate_in_flight_requests')).toBe(1);
    // Scrapes are not API requests: still three rows.
    expect(await h.rows()).toHaveLength(3);
  });
});
