import { describe, expect, it } from 'vitest';
import type { Attrs, SpanItem } from './otlp-model.js';
import { ownAddresses, parseGatewayAddress, viaGateway } from './via-gateway.js';

function span(attrs: Attrs): SpanItem {
  return { resource: {}, scope: 'instr', attrs, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'chat', kind: 3, startNanos: 1n, endNanos: 2n, statusCode: 0, statusMessage: '' };
}

describe('gateway addresses', () => {
  it('parses hosts, host:port, bracketed IPv6 and URLs', () => {
    expect(parseGatewayAddress('LLM-GW.example.com.')).toEqual({ host: 'llm-gw.example.com', port: null });
    expect(parseGatewayAddress('tollgate.internal:8790')).toEqual({ host: 'tollgate.internal', port: 8790 });
    expect(parseGatewayAddress('[::1]:8790')).toEqual({ host: '::1', port: 8790 });
    expect(parseGatewayAddress('fe80::1')).toEqual({ host: 'fe80::1', port: null });
    expect(parseGatewayAddress('https://llm.example.com/v1')).toEqual({ host: 'llm.example.com', port: 443 });
    expect(parseGatewayAddress('http://10.0.0.5:8790')).toEqual({ host: '10.0.0.5', port: 8790 });
    expect(() => parseGatewayAddress('a b')).toThrow(/is not a host, host:port or URL/);
    expect(() => parseGatewayAddress('host:99999')).toThrow(/port must be 1 to 65535/);
    expect(() => parseGatewayAddress('ftp://host')).toThrow(/give the port/);
    expect(() => parseGatewayAddress('')).toThrow(RangeError);
  });

  it('knows this server by every loopback name, and by its name and interfaces when it listens on all of them', () => {
    expect(ownAddresses('127.0.0.1', 8790)).toEqual(['127.0.0.1', 'localhost', '::1'].map((host) => ({ host, port: 8790 })));
    expect(ownAddresses('10.1.2.3', 8790)).toEqual([{ host: '10.1.2.3', port: 8790 }]);
    const all = ownAddresses('0.0.0.0', 8790).map((a) => a.host);
    expect(all).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1']));
    expect(all.length).toBeGreaterThan(3);
  });
});

describe('spans of calls through a gateway', () => {
  const gateways = [...ownAddresses('127.0.0.1', 8790), parseGatewayAddress('llm-gw.internal'), parseGatewayAddress('https://llm.example.com')];

  it('matches on server.address and server.port', () => {
    expect(viaGateway(span({ 'server.address': 'localhost', 'server.port': 8790 }), gateways)).toBe(true);
    expect(viaGateway(span({ 'server.address': '127.0.0.1', 'server.port': '8790' }), gateways)).toBe(true);
    // Another service on the same host, or the provider itself, is not the gateway.
    expect(viaGateway(span({ 'server.address': 'localhost', 'server.port': 11434 }), gateways)).toBe(false);
    expect(viaGateway(span({ 'server.address': 'api.openai.com', 'server.port': 443 }), gateways)).toBe(false);
    // Without a port only an address configured without one matches.
    expect(viaGateway(span({ 'server.address': 'localhost' }), gateways)).toBe(false);
    expect(viaGateway(span({ 'server.address': 'LLM-GW.internal' }), gateways)).toBe(true);
  });

  it('matches on url.full and on an instrumentation API base, with the scheme default port', () => {
    expect(viaGateway(span({ 'url.full': 'http://[::1]:8790/v1/chat/completions' }), gateways)).toBe(true);
    expect(viaGateway(span({ 'gen_ai.openai.api_base': 'https://llm.example.com/v1/' }), gateways)).toBe(true);
    expect(viaGateway(span({ 'url.full': 'http://llm.example.com/v1/' }), gateways)).toBe(false);
    expect(viaGateway(span({ 'url.full': 'not a url' }), gateways)).toBe(false);
  });

  it("matches any span whose response carried Tollgate's request id, wherever the gateway is", () => {
    expect(viaGateway(span({ 'http.response.header.x-tollgate-request-id': ['0197a1b2-0000-7000-8000-000000000001'], 'server.address': 'lb.internal', 'server.port': 443 }), [])).toBe(true);
    expect(viaGateway(span({ 'gen_ai.response.id': 'chatcmpl-1' }), gateways)).toBe(false);
  });
});
