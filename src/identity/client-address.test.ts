import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { TrustedProxies, addressKey, clientOf, noteClient, proxyEntry } from './client-address.js';

const xff = (value: string) => ({ 'x-forwarded-for': value });

describe('addressKey', () => {
  it('takes IPv4 as it is, an IPv4-mapped address as its IPv4, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('');
  });
});

describe('proxyEntry', () => {
  it('reads an address or a CIDR range of either family, and nothing else', () => {
    expect(proxyEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', bits: 8, family: 'ipv4' });
    expect(proxyEntry(' 192.0.2.7 ')).toEqual({ address: '192.0.2.7', bits: undefined, family: 'ipv4' });
    expect(proxyEntry('2001:db8::/32')).toEqual({ address: '2001:db8::', bits: 32, family: 'ipv6' });
    expect(proxyEntry('::ffff:10.0.0.0/104')).toEqual({ address: '::ffff:10.0.0.0', bits: 104, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x', 'proxy.internal', '10.0.0', '']) expect(proxyEntry(bad)).toBeUndefined();
  });
});

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '2001:db8:aa::/48', '192.0.2.1']);

  it('takes the right-most forwarded address that is not a trusted proxy, when the peer is one', () => {
    expect(proxies.client('10.1.2.3', xff('198.51.100.7'))).toBe('198.51.100.7');
    // What the client wrote itself is left of the address the first trusted proxy appended.
    expect(proxies.client('10.1.2.3', xff('6.6.6.6, 198.51.100.7, 10.9.9.9'))).toBe('198.51.100.7');
    expect(proxies.client('10.1.2.3', { 'x-forwarded-for': ['6.6.6.6', '198.51.100.7'] })).toBe('198.51.100.7');
    // A port some proxies add, IPv6 in brackets or bare, an IPv4-mapped address.
    expect(proxies.client('10.1.2.3', xff('198.51.100.7:5123'))).toBe('198.51.100.7');
    expect(proxies.client('10.1.2.3', xff('[2001:db8:1::5]:443'))).toBe('2001:db8:1::5');
    expect(proxies.client('10.1.2.3', xff('2001:db8:1::5'))).toBe('2001:db8:1::5');
    expect(proxies.client('10.1.2.3', xff('::ffff:198.51.100.7'))).toBe('198.51.100.7');
  });

  it('matches IPv4, IPv6 and IPv4-mapped peers against the list', () => {
    expect(proxies.client('::ffff:10.1.2.3', xff('198.51.100.7'))).toBe('198.51.100.7');
    expect(proxies.client('2001:db8:aa:1::9', xff('198.51.100.7'))).toBe('198.51.100.7');
    expect(proxies.client('192.0.2.1', xff('198.51.100.7'))).toBe('198.51.100.7');
    expect(proxies.client('192.0.2.2', xff('198.51.100.7'))).toBe('192.0.2.2');
  });

  it('never believes the header from a peer that is not trusted', () => {
    expect(proxies.client('203.0.113.9', xff('198.51.100.7'))).toBe('203.0.113.9');
    expect(proxies.client('::ffff:203.0.113.9', xff('198.51.100.7'))).toBe('203.0.113.9');
    expect(new TrustedProxies([]).client('10.1.2.3', xff('198.51.100.7'))).toBe('10.1.2.3');
  });

  it('stops at what is not an address, and keeps a trusted peer without the header as the client', () => {
    expect(proxies.client('10.1.2.3', xff('198.51.100.7, unknown'))).toBe('10.1.2.3');
    expect(proxies.client('10.1.2.3', xff('unknown, 10.4.4.4'))).toBe('10.4.4.4');
    expect(proxies.client('10.1.2.3', {})).toBe('10.1.2.3');
    // Every hop trusted: the left-most is as far as is known.
    expect(proxies.client('10.1.2.3', xff('10.7.7.7, 10.8.8.8'))).toBe('10.7.7.7');
  });

  it('reads for= of RFC 7239 Forwarded when told to, and only then', () => {
    const fwd = new TrustedProxies(['10.0.0.0/8'], 'forwarded');
    const forwarded = 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, For=10.2.2.2;by=10.0.0.1';
    expect(fwd.client('10.1.2.3', { forwarded })).toBe('2001:db8:cafe::17');
    expect(fwd.client('10.1.2.3', { forwarded: 'for=198.51.100.7;proto=http', ...xff('6.6.6.6') })).toBe('198.51.100.7');
    expect(fwd.client('10.1.2.3', { forwarded: 'for=_hidden, for=198.51.100.7' })).toBe('198.51.100.7');
    expect(fwd.client('10.1.2.3', { forwarded: 'proto=https' })).toBe('10.1.2.3');
    expect(fwd.client('10.1.2.3', xff('198.51.100.7'))).toBe('10.1.2.3');
    expect(proxies.client('10.1.2.3', { forwarded: 'for=198.51.100.7' })).toBe('10.1.2.3');
  });
});

describe('clientOf', () => {
  const request = (remoteAddress: string, headers: Record<string, string>) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

  it('is the forwarded client of a request noted behind a trusted proxy, else the connection', () => {
    const proxies = new TrustedProxies(['127.0.0.1']);
    const noted = request('::ffff:127.0.0.1', xff('198.51.100.7'));
    noteClient(noted, proxies);
    expect(clientOf(noted)).toBe('198.51.100.7');
    const unnoted = request('::ffff:127.0.0.1', xff('198.51.100.7'));
    expect(clientOf(unnoted)).toBe('127.0.0.1');
    const noProxies = request('127.0.0.1', xff('198.51.100.7'));
    noteClient(noProxies, undefined);
    expect(clientOf(noProxies)).toBe('127.0.0.1');
  });
});
