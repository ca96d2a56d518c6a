import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstream/index.js';
import { testCertificate } from '../support/certs.js';
import { type FakeProxy, startFakeProxy } from '../support/fake-proxy.js';
import { type Served, serve, tollgate } from './cli.js';

// A locked-down network as companies run them: the provider (HTTPS, a name only the proxy resolves, a
// certificate from the company's own authority) is reached through an HTTP proxy, configured the usual
// way: HTTPS_PROXY and NODE_EXTRA_CA_CERTS in the gateway's environment.
let fake: FakeUpstream;
let proxy: FakeProxy;
let dir: string;
let gw: Served;
let key: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-proxy-'));
  const { key: keyPem, cert: certPem, ca: caPem } = testCertificate('api.test');
  fake = await startFakeUpstream({ tls: { key: readFileSync(keyPem, 'utf8'), cert: readFileSync(certPem, 'utf8') } });
  proxy = await startFakeProxy({ hosts: { 'api.test': '127.0.0.1' } });
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(config, `storage: { sqlite: ./data/tollgate.db }\nproviders:\n  - { name: openai, dialect: openai, base_url: "https://api.test:${fake.port}", api_key: sk-main, catalog: openai }\n`);
  const created = await tollgate(['keys', 'create', '--user', 'dana', '--team', 'infra', '--json', '--config', config], { cwd: dir });
  key = (JSON.parse(created.stdout) as { key: string }).key;
  gw = await serve(['--config', config], { cwd: dir, env: { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: caPem, TOLLGATE_ADMIN_TOKEN: '' } });
});
afterAll(async () => {
  await gw?.stop();
  await proxy?.close();
  await fake?.close();
});

describe('the gateway behind a corporate proxy, through the built CLI', () => {
  it('says at start which providers go through the proxy, and that the admin API and dashboard are off', async () => {
    // The lines after "listening" may reach the pipe in a later chunk.
    await expect.poll(() => gw.stdout()).toContain('Admin API and dashboard off: set TOLLGATE_ADMIN_TOKEN to enable /admin/v1 and /ui.');
    await expect.poll(() => gw.stdout()).toContain(
      `Proxy: outbound requests: https:// through ${proxy.url} (HTTPS_PROXY); direct: loopback hosts. Providers through it: openai; direct: none.`,
    );
  });

  it('reaches an HTTPS provider through the proxy tunnel, trusting the extra certificate authority', async () => {
    fake.setDefault({ text: 'Through the tunnel.', usage: { input: 30, output: 5 } });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const done = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(done.choices[0]?.message.content).toBe('Through the tunnel.');
    expect(proxy.seen.map((s) => `${s.method} ${s.target}`)).toEqual([`CONNECT api.test:${fake.port}`]);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-main');
  });

  it('refuses to start on a proxy it cannot use, naming the variable', async () => {
    const r = await tollgate(['serve', '--port', '0', '--db', join(dir, 'other.db')], { cwd: dir, env: { HTTPS_PROXY: 'socks5://proxy.corp:1080' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tollgate: HTTPS_PROXY "socks5://proxy.corp:1080" is a socks5 proxy; Tollgate goes through http:// and https:// proxies only\n');
  });
});
