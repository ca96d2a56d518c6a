import { BlockList, isIP } from 'node:net';
import { SetupError } from '../core/errors.js';
import { withoutPassword } from '../core/url-text.js';

/** A proxy the gateway's outbound requests go through. */
export interface ProxyUrl {
  /** The URL as undici and the WebSocket agent take it (credentials included). */
  href: string;
  /** The URL with its password hidden, for logs and error messages. */
  shown: string;
  /** The environment variable it came from. */
  from: string;
}

/**
 * Where outbound requests go, read from the environment as curl and most tools read it:
 * `https_proxy` for https:// and wss:// origins, `http_proxy` for http:// and ws://,
 * `all_proxy` for either when its own is unset (lower case first, then upper case), and
 * `no_proxy` for the hosts reached directly.
 */
export interface ProxySettings {
  http: ProxyUrl | undefined;
  https: ProxyUrl | undefined;
  /** The `no_proxy` text as given, for the start-up line. */
  noProxyText: string;
  /** True when `no_proxy` is `*`: nothing goes through a proxy. */
  noneProxied: boolean;
  hosts: readonly { host: string; port: number }[];
  addresses: BlockList;
}

/** A proxy variable that cannot be used: told at start-up, naming the variable. */
export class ProxySettingError extends SetupError {
  override readonly name = 'ProxySettingError';
}

/** The settings the environment gives, or undefined when it names no proxy. */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const all = proxyUrl(env, 'all_proxy');
  const http = proxyUrl(env, 'http_proxy') ?? all;
  const https = proxyUrl(env, 'https_proxy') ?? all;
  if (!http && !https) return undefined;
  const noProxy = variable(env, 'no_proxy');
  return { http, https, ...noProxyRules(noProxy?.value ?? '') };
}

/**
 * The proxy for a request to `origin` (`https://api.openai.com`, `wss://…`), or undefined to
 * go direct: loopback hosts always do (a local model server is never behind the proxy, as Go's
 * net/http decides too), and so do hosts `no_proxy` names (the host, any subdomain of it, an
 * address, or a CIDR range; with `:port`, that port only).
 */
export function proxyFor(s: ProxySettings, origin: string): ProxyUrl | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const proxy = secure ? s.https : s.http;
  if (!proxy || s.noneProxied) return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  const port = Number(url.port) || (secure ? 443 : 80);
  if (isLoopback(host)) return undefined;
  const family = isIP(host);
  if (family !== 0 && s.addresses.check(host, family === 6 ? 'ipv6' : 'ipv4')) return undefined;
  for (const rule of s.hosts) {
    if (rule.port !== 0 && rule.port !== port) continue;
    if (host === rule.host || host.endsWith(`.${rule.host}`)) return undefined;
  }
  return proxy;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function variable(env: NodeJS.ProcessEnv, lower: string): { name: string; value: string } | undefined {
  for (const name of [lower, lower.toUpperCase()]) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function proxyUrl(env: NodeJS.ProcessEnv, lower: string): ProxyUrl | undefined {
  const v = variable(env, lower);
  if (!v) return undefined;
  // As curl does, a proxy given without a scheme is an HTTP proxy.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(v.value) ? v.value : `http://${v.value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxySettingError(`${v.name} "${v.value}" is not a proxy URL: give it as http://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxySettingError(`${v.name} "${shown(url)}" is a ${url.protocol.slice(0, -1)} proxy; Tollgate goes through http:// and https:// proxies only`);
  }
  if (url.hostname === '') throw new ProxySettingError(`${v.name} "${v.value}" names no proxy host: give it as http://host:port`);
  return { href: url.href, shown: shown(url), from: v.name };
}

/** The proxy as people write it: password hidden, no trailing slash. */
const shown = (url: URL): string => withoutPassword(url).replace(/\/$/, '');

function noProxyRules(text: string): Pick<ProxySettings, 'noProxyText' | 'noneProxied' | 'hosts' | 'addresses'> {
  const addresses = new BlockList();
  const hosts: { host: string; port: number }[] = [];
  const entries = text.split(/[,\s]+/).filter((e) => e !== '');
  for (const entry of entries) {
    const range = /^([0-9a-f.:]+)\/(\d{1,3})$/i.exec(entry);
    if (range) {
      const family = isIP(range[1]!);
      const bits = Number(range[2]);
      if (family !== 0 && bits <= (family === 4 ? 32 : 128)) {
        addresses.addSubnet(range[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
        continue;
      }
    }
    // `[::1]:8000`, `host:8000`, `.example.com`, `*.example.com`, a bare IPv6 address.
    const withPort = /^\[?([^\]]*?)\]?:(\d+)$/.exec(entry);
    const bare = isIP(entry.replace(/^\[(.*)\]$/, '$1')) === 6;
    const host = (withPort && !bare ? withPort[1]! : entry).replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '').toLowerCase();
    const port = withPort && !bare ? Number(withPort[2]) : 0;
    const family = isIP(host);
    if (family !== 0 && port === 0) addresses.addAddress(host, family === 6 ? 'ipv6' : 'ipv4');
    else hosts.push({ host, port });
  }
  return { noProxyText: text, noneProxied: entries.includes('*'), hosts, addresses };
}

/** One line for the log at start-up: where outbound requests go. */
export function describeProxies(s: ProxySettings): string {
  const parts: string[] = [];
  if (s.https) parts.push(`https:// through ${s.https.shown} (${s.https.from})`);
  if (s.http) parts.push(`http:// through ${s.http.shown} (${s.http.from})`);
  const direct = s.noneProxied ? 'everything (no_proxy is *)' : `loopback hosts${s.noProxyText === '' ? '' : ` and ${s.noProxyText}`}`;
  return `outbound requests: ${parts.join(', ')}; direct: ${direct}`;
}
