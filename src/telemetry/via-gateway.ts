import { hostname, networkInterfaces } from 'node:os';
import { firstText, numeric } from './attributes.js';
import type { SpanItem } from './otlp-model.js';

/** Where a Tollgate gateway answers. A null port matches any port. */
export interface GatewayAddress {
  host: string;
  port: number | null;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * A `telemetry.gateway_addresses` entry: `host` (any port), `host:port`, `[v6]:port`, or a
 * URL (`https://llm.example.com` is port 443). Throws a RangeError naming the problem.
 */
export function parseGatewayAddress(text: string): GatewayAddress {
  const t = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    let u: URL;
    try {
      u = new URL(t);
    } catch {
      throw new RangeError(`"${text}" is not a valid URL`);
    }
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
    if (port === undefined) throw new RangeError(`"${text}": give the port (only http and https have a default one)`);
    return { host: normalHost(u.hostname), port };
  }
  const m = /^(\[[^\]]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(t) ?? /^([0-9a-f:]+)$/i.exec(t);
  if (!m || normalHost(m[1]!) === '') throw new RangeError(`"${text}" is not a host, host:port or URL`);
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65_535)) throw new RangeError(`"${text}": the port must be 1 to 65535`);
  return { host: normalHost(m[1]!), port };
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = new Set(['', '0.0.0.0', '::', '::0']);

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The addresses by which this server is reached: its listen address; every loopback name
 * when it listens on loopback; and this machine's name and interface addresses too when it
 * listens on every interface.
 */
export function ownAddresses(listenHost: string, port: number): GatewayAddress[] {
  const host = normalHost(listenHost);
  const hosts = new Set([host]);
  if (WILDCARD.has(host) || isLoopback(host)) for (const h of LOOPBACK) hosts.add(h);
  if (WILDCARD.has(host)) {
    hosts.add(normalHost(hostname()));
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) hosts.add(normalHost(i.address));
  }
  hosts.delete('');
  return [...hosts].map((h) => ({ host: h, port }));
}

/** Span attributes holding the URL the call was sent to: HTTP conventions, then OpenLLMetry's and others' API base. */
const URL_KEYS = ['url.full', 'http.url', 'gen_ai.openai.api_base', 'openai.api_base'];

/** The host and port a span says its call went to, from each attribute that says so. */
function targets(s: SpanItem): { host: string; port: number | null }[] {
  const out: { host: string; port: number | null }[] = [];
  const server = firstText([s.attrs], ['server.address']);
  if (server !== null) {
    const port = numeric(s.attrs['server.port']);
    out.push({ host: normalHost(server), port: port === undefined ? null : Math.floor(port) });
  }
  for (const key of URL_KEYS) {
    const text = firstText([s.attrs], [key]);
    if (text === null) continue;
    try {
      const u = new URL(text);
      out.push({ host: normalHost(u.hostname), port: u.port ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? null) });
    } catch {
      // Not a URL: says nothing about where the call went.
    }
  }
  return out;
}

/** Response-header attributes that only a Tollgate gateway's answer carries. */
const TOLLGATE_HEADERS = ['http.response.header.x-tollgate-request-id'];

/**
 * Whether a span describes a call made through a Tollgate gateway, which records that call
 * itself: the span's response carried Tollgate's request-id header, or its server address or
 * URL is one of the gateways'. A span whose port is unknown matches only an address given
 * without a port: another service on the same host must not be mistaken for the gateway.
 */
export function viaGateway(s: SpanItem, gateways: readonly GatewayAddress[]): boolean {
  if (firstText([s.attrs], TOLLGATE_HEADERS) !== null) return true;
  return targets(s).some((t) => gateways.some((g) => g.host === t.host && (g.port === null || g.port === t.port)));
}
