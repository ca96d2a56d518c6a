import { describe, expect, it } from 'vitest';
import { gatewayBase } from './gateway-base.js';

describe('the gateway base URL as the client reached it', () => {
  it('takes the Host, the /p/{provider} prefix, and the scheme a proxy names, else the one of the connection', () => {
    expect(gatewayBase({ host: 'gw:8790' }, '/v1/messages/batches')).toBe('http://gw:8790');
    expect(gatewayBase({ host: 'gw:8790' }, '/p/gemini-eu/upload/v1beta/files')).toBe('http://gw:8790/p/gemini-eu');
    expect(gatewayBase({ host: 'gw.example', 'x-forwarded-proto': 'https, http' }, '/p/x')).toBe('https://gw.example/p/x');
    // Served over TLS by the gateway itself.
    expect(gatewayBase({ host: 'gw.example' }, '/upload/v1beta/files', true)).toBe('https://gw.example');
    expect(gatewayBase({ host: 'gw.example', 'x-forwarded-proto': 'http' }, '/', true)).toBe('http://gw.example');
    expect(gatewayBase({}, undefined)).toBe('http://localhost');
  });
});
