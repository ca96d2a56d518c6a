import type { Config } from '../config/index.js';
import { fetchThroughProxy } from '../egress/fetch-proxy.js';
import { fetchFailureReason } from '../core/errors.js';
import { CommandError, UsageError } from './output.js';

/** The running gateway's address from the config: a wildcard listen address is reached on loopback, over HTTPS when the config serves it (`server.tls`). */
export function defaultUrl(config: Config): string {
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `${config.server.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`;
}

export interface AdminCall {
  url: string;
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** The admin token or a virtual key. */
  bearer: string;
  body?: unknown;
}

/** Calls the gateway's admin API; a refusal becomes a CommandError (a UsageError for 400) carrying the gateway's message. */
export async function callAdmin(c: AdminCall): Promise<unknown> {
  if (!URL.canParse(c.url)) throw new UsageError(`--url "${c.url}" is not a URL`);
  const scheme = new URL(c.url).protocol;
  if (scheme !== 'http:' && scheme !== 'https:') throw new UsageError(`--url "${c.url}" is not the gateway's http:// or https:// address`);
  await fetchThroughProxy();
  let res: Response;
  try {
    res = await fetch(`${c.url.replace(/\/+$/, '')}${c.path}`, {
      method: c.method ?? 'GET',
      headers: { authorization: `Bearer ${c.bearer}`, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
    });
  } catch (err) {
    throw new CommandError(`cannot reach the gateway at ${c.url} (${fetchFailureReason(err)}). Is \`tollgate serve\` running? Point at it with --url.`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CommandError(`the gateway at ${c.url} answered ${res.status} with something other than JSON`);
  }
  if (res.ok) return json;
  const error = (json as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  // The gateway's own words ("Send Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>") read, here, as if the variable were unset.
  if (res.status === 401 && error?.code === 'unauthorized') throw new CommandError(`the gateway at ${c.url} refused TOLLGATE_ADMIN_TOKEN: it is not the token that gateway was started with`);
  const message = error?.message;
  const text2 = typeof message === 'string' ? message : `the gateway answered ${res.status}`;
  // A 400 is the same mistake the CLI reports itself as bad usage.
  throw res.status === 400 ? new UsageError(text2) : new CommandError(text2);
}

/** TOLLGATE_ADMIN_TOKEN, which the admin routes need. */
export function adminToken(): string {
  const token = process.env.TOLLGATE_ADMIN_TOKEN;
  if (!token) throw new UsageError('set TOLLGATE_ADMIN_TOKEN to the token the gateway was started with (this command goes through its admin API)');
  return token;
}
