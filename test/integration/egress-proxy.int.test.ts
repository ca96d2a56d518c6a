import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { proxySettingsFromEnv } from '../../src/egress/proxy-settings.js';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import { type FakeProxy, startFakeProxy } from '../support/fake-proxy.js';
import { type Harness, eventually, startHarness } from '../support/harness.js';

// The upstream is addressed by a name only the proxy resolves: a request that reaches it went through the proxy.
const HIDDEN = 'upstream.test';

/** OpenAI behind the proxy (by a name only it resolves), Anthropic on loopback (always direct). */
const providers = (fakeUrl: string): UpstreamProvider[] => {
  const port = new URL(fakeUrl).port;
  return [
    { name: 'openai', dialect: 'openai', baseUrl: `http://${HIDDEN}:${port}`, apiKey: 'sk-upstream-openai', models: undefined, headers: {}, catalog: 'openai' },
    { name: 'anthropic', dialect: 'anthropic', baseUrl: fakeUrl, apiKey: 'sk-ant-upstream', models: undefined, headers: {}, catalog: 'anthropic' },
  ];
};

describe('outbound requests through a corporate proxy', () => {
  let proxy: FakeProxy;
  let h: Harness;
  beforeAll(async () => {
    proxy = await startFakeProxy({ hosts: { [HIDDEN]: '127.0.0.1' }, credentials: 'alice:s3cret' });
    const u = new URL(proxy.url);
    h = await startHarness({ providers, proxies: proxySettingsFromEnv({ HTTP_PROXY: `http://alice:s3cret@${u.host}` }) });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });
  beforeEach(async () => {
    h.fake.reset();
    proxy.seen.length = 0;
    await h.mark();
  });

  it('tunnels a provider request through the proxy with its credentials, and meters it as usual', async () => {
    h.fake.setDefault({ text: 'Hi.', usage: { input: 120, output: 7 } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hi.');
    const port = new URL(h.fake.url).port;
    expect(proxy.seen).toEqual([{ method: 'CONNECT', target: `${HIDDEN}:${port}`, authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` }]);
    const [row] = await h.rows();
    expect(row).toMatchObject({ provider: 'openai', outcome: 'ok', inputTokens: 120, outputTokens: 7, usageSource: 'final' });
    // The tunnel is kept and reused: a second request opens no new one.
    const again = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'again' }] });
    expect(again.choices[0]?.message.content).toBe('Hi.');
    expect(proxy.seen).toHaveLength(1);
  });

  it('reaches a loopback provider directly, never through the proxy', async () => {
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(msg.type).toBe('message');
    expect(proxy.seen).toEqual([]);
  });

  it('tunnels an upstream WebSocket (the Responses API) through the proxy', async () => {
    h.fake.setDefault({ text: 'Over a socket.', usage: { input: 50, output: 4 } });
    const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${h.key.key}` } });
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hi' }));
    await eventually(() => expect(got.some((m) => m.includes('"response.completed"'))).toBe(true));
    ws.close();
    expect(proxy.seen.map((s) => s.method)).toEqual(['CONNECT']);
    expect(proxy.seen[0]!.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    await eventually(async () => expect(await h.rows()).toEqual([expect.objectContaining({ api: 'openai.responses', outcome: 'ok', outputTokens: 4 })]));
  });
});

describe('a proxy that refuses, or is not there', () => {
  let proxy: FakeProxy;
  beforeAll(async () => {
    proxy = await startFakeProxy({ hosts: { [HIDDEN]: '127.0.0.1' }, credentials: 'alice:s3cret' });
  });
  afterAll(() => proxy.close());

  const chat = async (h: Harness) => {
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { error: { message: string; type: string } } };
  };

  it('tells the client which proxy refused, and what it asked for; the request is recorded', async () => {
    const h = await startHarness({ providers, proxies: proxySettingsFromEnv({ http_proxy: new URL(proxy.url).host }) });
    try {
      const { status, body } = await chat(h);
      expect(status).toBe(502);
      expect(body.error.message).toBe(`The proxy ${proxy.url} refused to connect to the upstream http://${HIDDEN}:${new URL(h.fake.url).port} (HTTP 407): it asks for credentials (give them in the proxy URL, http://user:password@host:port).`);
      expect(await h.rows()).toEqual([expect.objectContaining({ status: 502, outcome: 'upstream_error', errorType: 'upstream_unreachable' })]);
    } finally {
      await h.close();
    }
  });

  it('names the proxy when it cannot be reached, with its password hidden', async () => {
    const gone = await startFakeProxy();
    await gone.close();
    const h = await startHarness({ providers, proxies: proxySettingsFromEnv({ HTTP_PROXY: gone.url.replace('//', '//bob:hunter2@') }) });
    try {
      const { status, body } = await chat(h);
      expect(status).toBe(502);
      expect(body.error.message).toBe(`Could not reach the upstream http://${HIDDEN}:${new URL(h.fake.url).port} through the proxy ${gone.url.replace('//', '//bob:***@')} (ECONNREFUSED).`);
      expect(body.error.message).not.toContain('hunter2');
    } finally {
      await h.close();
    }
  });

  it('goes direct to the hosts no_proxy names', async () => {
    const h = await startHarness({
      providers: (fakeUrl) => [{ ...providers(fakeUrl)[0]!, baseUrl: `http://${HIDDEN}:${new URL(fakeUrl).port}` }],
      proxies: proxySettingsFromEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '.test' }),
    });
    try {
      proxy.seen.length = 0;
      // Direct, the made-up name does not resolve: the proxy was not asked.
      const { status, body } = await chat(h);
      expect(status).toBe(502);
      expect(body.error.message).toMatch(/^Could not reach the upstream http:\/\/upstream\.test:\d+ \((ENOTFOUND|EAI_AGAIN)\)\.$/);
      expect(proxy.seen).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
