import { describe, expect, it } from 'vitest';
import { ProxySettingError, describeProxies, proxyFor, proxySettingsFromEnv } from './proxy-settings.js';

const settings = (env: NodeJS.ProcessEnv) => {
  const s = proxySettingsFromEnv(env);
  if (!s) throw new Error('no settings');
  return s;
};
const via = (env: NodeJS.ProcessEnv, origin: string) => proxyFor(settings(env), origin)?.shown;

describe('proxySettingsFromEnv', () => {
  it('is undefined when no proxy variable is set, whatever no_proxy says', () => {
    expect(proxySettingsFromEnv({})).toBeUndefined();
    expect(proxySettingsFromEnv({ NO_PROXY: 'example.com', HTTPS_PROXY: '  ' })).toBeUndefined();
  });

  it('prefers the lower-case variable, as curl does', () => {
    const s = settings({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' });
    expect(s.https).toMatchObject({ shown: 'http://lower:1', from: 'https_proxy' });
    expect(settings({ HTTPS_PROXY: 'http://upper:2' }).https?.from).toBe('HTTPS_PROXY');
  });

  it('takes all_proxy for a scheme whose own variable is unset', () => {
    const s = settings({ ALL_PROXY: 'http://all:3128', http_proxy: 'http://plain:8080' });
    expect(s.https?.shown).toBe('http://all:3128');
    expect(s.http?.shown).toBe('http://plain:8080');
  });

  it('reads a proxy without a scheme as an HTTP proxy', () => {
    expect(settings({ HTTPS_PROXY: 'proxy.corp:3128' }).https?.href).toBe('http://proxy.corp:3128/');
  });

  it('keeps credentials for the connection and hides the password everywhere else', () => {
    const s = settings({ HTTPS_PROXY: 'http://alice:s3cret@proxy:3128' });
    expect(s.https?.href).toBe('http://alice:s3cret@proxy:3128/');
    expect(s.https?.shown).toBe('http://alice:***@proxy:3128');
    expect(describeProxies(s)).not.toContain('s3cret');
  });

  it('refuses a proxy it cannot use, naming the variable', () => {
    expect(() => proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://u:pw@proxy:1080' })).toThrow(ProxySettingError);
    expect(() => proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://u:pw@proxy:1080' })).toThrow('HTTPS_PROXY "socks5://u:***@proxy:1080" is a socks5 proxy');
    expect(() => proxySettingsFromEnv({ http_proxy: 'http://[bad' })).toThrow('http_proxy "http://[bad" is not a proxy URL');
  });
});

describe('proxyFor', () => {
  const env = { HTTPS_PROXY: 'http://secure:1', HTTP_PROXY: 'http://plain:2' };

  it('picks the proxy by the scheme of the origin, WebSocket schemes included', () => {
    expect(via(env, 'https://api.openai.com')).toBe('http://secure:1');
    expect(via(env, 'wss://api.openai.com')).toBe('http://secure:1');
    expect(via(env, 'http://vllm.internal:8000')).toBe('http://plain:2');
    expect(via(env, 'ws://vllm.internal:8000')).toBe('http://plain:2');
    expect(via({ HTTPS_PROXY: 'http://secure:1' }, 'http://vllm.internal:8000')).toBeUndefined();
  });

  it('never sends loopback hosts through the proxy', () => {
    for (const origin of ['http://127.0.0.1:8000', 'http://127.8.9.1', 'http://localhost:11434', 'http://llm.localhost', 'http://[::1]:8000']) {
      expect(via(env, origin), origin).toBeUndefined();
    }
  });

  it('goes direct to the hosts, subdomains, addresses and ranges no_proxy names', () => {
    const e = { ...env, no_proxy: '.corp.example, internal ,10.0.0.0/8 192.168.1.7,*.svc,fd00::/8' };
    expect(via(e, 'https://llm.corp.example')).toBeUndefined();
    expect(via(e, 'https://corp.example')).toBeUndefined();
    expect(via(e, 'http://internal:8000')).toBeUndefined();
    expect(via(e, 'http://a.b.internal')).toBeUndefined();
    expect(via(e, 'http://10.20.30.40:8000')).toBeUndefined();
    expect(via(e, 'http://192.168.1.7')).toBeUndefined();
    expect(via(e, 'http://model.ns.svc:80')).toBeUndefined();
    expect(via(e, 'http://[fd00::5]:8000')).toBeUndefined();
    expect(via(e, 'http://192.168.1.8')).toBe('http://plain:2');
    expect(via(e, 'https://notcorp.example')).toBe('http://secure:1');
    expect(via(e, 'https://api.anthropic.com')).toBe('http://secure:1');
  });

  it('matches a port when no_proxy gives one', () => {
    const e = { ...env, NO_PROXY: 'gpu.lan:8000,[fd00::1]:9000' };
    expect(via(e, 'http://gpu.lan:8000')).toBeUndefined();
    expect(via(e, 'http://gpu.lan:8001')).toBe('http://plain:2');
    expect(via(e, 'http://[fd00::1]:9000')).toBeUndefined();
    expect(via(e, 'http://[fd00::1]:9001')).toBe('http://plain:2');
  });

  it('sends nothing through the proxy when no_proxy is *', () => {
    const s = settings({ ...env, NO_PROXY: '*' });
    expect(proxyFor(s, 'https://api.openai.com')).toBeUndefined();
    expect(describeProxies(s)).toContain('direct: everything');
  });

  it('says where requests go in one line', () => {
    expect(describeProxies(settings({ ...env, NO_PROXY: '.corp' }))).toBe('outbound requests: https:// through http://secure:1 (HTTPS_PROXY), http:// through http://plain:2 (HTTP_PROXY); direct: loopback hosts and .corp');
  });
});
