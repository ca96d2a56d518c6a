import { describe, expect, it } from 'vitest';
import { configFile } from '../config/testing.js';
import { callAdmin, defaultUrl } from './admin-client.js';
import { loadCliConfig } from './context.js';
import { UsageError } from './output.js';

describe('defaultUrl', () => {
  it('reaches the gateway the config runs: loopback for a wildcard address, https when it serves TLS', () => {
    expect(defaultUrl(loadCliConfig({}))).toBe('http://127.0.0.1:8790');
    expect(defaultUrl(loadCliConfig({ config: configFile('server: { host: "::", port: 9443 }\n') }))).toBe('http://127.0.0.1:9443');
    expect(defaultUrl(loadCliConfig({ config: configFile('server: { host: "::1" }\n') }))).toBe('http://[::1]:8790');
    const tls = configFile('server:\n  host: 0.0.0.0\n  port: 8443\n  tls: { cert: ./cert.pem, key: ./key.pem }\n');
    expect(defaultUrl(loadCliConfig({ config: tls }))).toBe('https://127.0.0.1:8443');
  });
});

describe('callAdmin --url', () => {
  it('refuses as bad usage a URL that is not http or https, before any request, rather than say the gateway cannot be reached', async () => {
    for (const url of ['ftp://gateway', 'file:///tmp/x', 'localhost:8790']) await expect(callAdmin({ url, path: '/admin/v1/me', bearer: 'tg_x' }), url).rejects.toThrow(new UsageError(`--url "${url}" is not the gateway's http:// or https:// address`));
    await expect(callAdmin({ url: 'not a url', path: '/admin/v1/me', bearer: 'tg_x' })).rejects.toThrow(new UsageError('--url "not a url" is not a URL'));
  });
});

