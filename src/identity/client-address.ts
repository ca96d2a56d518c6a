import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv6 } from 'node:net';

/** The header a trusted proxy names the client in (`server.forwarded_header`). */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/** `server.trusted_proxies` (each entry as `proxyEntry` reads it) and `server.forwarded_header`. */
export interface TrustedProxySettings {
  addresses: readonly string[];
  header: ForwardedHeader;
}

/** An entry of `server.trusted_proxies`: an address, or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`); undefined when it is neither. */
export function proxyEntry(text: string): { address: string; bits: number | undefined; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bitsText, extra] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  if (bitsText === undefined) return { address, bits: undefined, family: family === 6 ? 'ipv6' : 'ipv4' };
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (bits < 0 || bits > (family === 6 ? 128 : 32)) return undefined;
  return { address, bits, family: family === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * The proxies in front of the gateway whose word on the client's address is believed
 * (`server.trusted_proxies`). A request whose connection comes from one of them is taken to be
 * from the right-most address in its forwarded header that is not itself one of them: each proxy
 * appends the address it was reached from, so that one was written by a trusted proxy, and
 * everything left of it is whatever the client sent. From any other peer the header is ignored.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly header: ForwardedHeader;

  /** `entries` as `proxyEntry` reads them (the config has checked each); one that is not is left out. */
  constructor(entries: readonly string[], header: ForwardedHeader = 'x-forwarded-for') {
    this.header = header;
    for (const text of entries) {
      const e = proxyEntry(text);
      if (e === undefined) continue;
      if (e.bits === undefined) this.list.addAddress(e.address, e.family);
      else this.list.addSubnet(e.address, e.bits, e.family);
    }
  }

  trusts(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** The address of the client behind `peer` (the connection's), as `headers` say when `peer` is trusted. */
  client(peer: string | undefined, headers: IncomingHttpHeaders): string | undefined {
    let client = plainAddress(peer);
    if (client === undefined || !this.trusts(client)) return client;
    const hops = this.header === 'forwarded' ? forwardedFor(headers.forwarded) : listed(headers['x-forwarded-for']);
    for (let i = hops.length - 1; i >= 0; i--) {
      // Not an address (`unknown`, an obfuscated name): the proxy that passed it on is as near the client as is known.
      const hop = plainAddress(withoutPort(hops[i]!));
      if (hop === undefined) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }
}

/** A request, as far as finding its client goes. */
export type RequestFrom = Pick<IncomingMessage, 'socket'>;

/** Each request's client, as the server found it when the request came (see `noteClient`). */
const clients = new WeakMap<IncomingMessage, string>();

/** Works out and keeps the address of the client that sent `req`, for `clientOf`; the connection's alone without `proxies`. */
export function noteClient(req: IncomingMessage, proxies: TrustedProxies | undefined): void {
  if (proxies === undefined) return;
  const client = proxies.client(req.socket.remoteAddress, req.headers);
  if (client !== undefined) clients.set(req, client);
}

/**
 * The address of the client that sent `req`: behind a trusted proxy, the one its forwarded
 * header names (when the server noted it); otherwise the connection's own, an IPv4-mapped IPv6
 * address as IPv4.
 */
export function clientOf(req: RequestFrom): string | undefined {
  return clients.get(req as IncomingMessage) ?? plainAddress(req.socket.remoteAddress);
}

/**
 * The address a client's counts are kept against (the admin token's throttle, the room for
 * unverified bodies): its IPv4 address, or the /64 network of an IPv6 one, which one host has
 * to itself and could otherwise draw a new address from for every try.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  const ip = plainAddress(address);
  if (ip === undefined) return address;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** An IP address without its zone (`%eth0`), an IPv4-mapped IPv6 one as IPv4; undefined when `text` is not one. */
function plainAddress(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ip = text.trim().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  return isIP(ip) === 0 ? undefined : ip;
}

/** `[2001:db8::1]:443` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1` (some proxies add the port); a bare address as it is. */
function withoutPort(hop: string): string {
  const h = hop.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.indexOf(':');
  return colon > 0 && colon === h.lastIndexOf(':') ? h.slice(0, colon) : h;
}

/** A comma-separated header's entries (Node joins repeated headers with commas). */
function listed(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value.join(',') : value).split(',');
}

/** RFC 7239's `for=` of each element, in order; an element without one as an empty entry (which is no address). */
function forwardedFor(value: string | string[] | undefined): string[] {
  return listed(value).map((element) => {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') return pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    return '';
  });
}

/** An IPv6 address's eight groups, `::` filled with zeros, each without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // A dotted IPv4 tail (64:ff9b::1.2.3.4) stands for two groups.
  const width = right.reduce((n, g) => n + (g.includes('.') ? 2 : 1), left.length);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - width)).fill('0'), ...right];
  return groups.map((g) => (g.includes('.') ? g : Number.parseInt(g, 16).toString(16)));
}
