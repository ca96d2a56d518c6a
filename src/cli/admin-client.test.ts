import { describe, expect, it } from 'vitest';
import { configFile } from '../config/testing.js';
import { defaultUrl } from './admin-client.js';
import { loadCliConfig } from './context.js';

describe('defaultUrl', () => {
  it('reaches the gateway the config runs: loopback for a wildcard address, https when it serves TLS', () => {
    expect(defaultUrl(loadCliConfig({}))).toBe('http://127.0.0.1:8790');
    expect(defaultUrl(loadCliConfig({ config: configFile('server: { host: "::", port: 9443 }\n') }))).toBe('http://127.0.0.1:9443');
    expect(defaultUrl(loadCliConfig({ config: configFile('server: { host: "::1" }\n') }))).toBe('http://[::1]:8790');
    const tls = configFile('server:\n  host: 0.0.0.0\n  port: 8443\n  tls: { cert: ./cert.pem, key: ./key.pem }\n');
    expect(defaultUrl(loadCliConfig({ config: tls }))).toBe('https://127.0.0.1:8443');
  });
});
