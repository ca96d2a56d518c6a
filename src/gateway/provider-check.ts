import type { Dialect } from '../core/api.js';
import type { Dispatcher } from 'undici';
import type { ThroughProxy } from '../egress/dispatcher.js';
import { request } from '../egress/undici-core.js';
import { upstreamFailure } from './upstream.js';
import { ANTHROPIC_VERSION } from '../providers/anthropic/credential.js';
import { adapterFor } from '../providers/registry.js';
import { shownUrl } from '../core/url-text.js';

/** What `tollgate check` asks of a provider or deployment. */
export interface CheckedUpstream {
  name: string;
  dialect: Dialect;
  baseUrl: string;
  apiKey: string | undefined;
  headers: Readonly<Record<string, string>>;
}

export interface UpstreamCheck {
  name: string;
  url: string;
  ok: boolean;
  /** One line for people: what was asked, what came back. */
  detail: string;
  status?: number;
  ms?: number;
}

/** How long a provider may take to list its models. */
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Lists a provider's models with the key Tollgate holds for it (no tokens spent), as the
 * gateway would reach it (through the proxy, with its headers): does it answer, and does it
 * take the key. Without a key (clients pass their own), an answer at all is what is checked.
 * `proxy` (shown, its password hidden) is the one the agent sends this provider through.
 */
export async function checkUpstream(agent: Dispatcher, u: CheckedUpstream, o: { timeoutMs?: number; proxy?: string } = {}): Promise<UpstreamCheck> {
  const timeoutMs = o.timeoutMs ?? CHECK_TIMEOUT_MS;
  const { path, headers } = modelList(u);
  const url = `${u.baseUrl}${path}`;
  const started = performance.now();
  let status: number;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const target = new URL(url);
    const res = await request(agent, { origin: target.origin, path: target.pathname + target.search, method: 'GET', headers: { accept: 'application/json', ...headers }, signal });
    status = res.statusCode;
    await res.body.dump().catch(() => undefined);
  } catch (err) {
    // The gateway's dispatcher marks its own requests' errors with the proxy; this request's handler is undici's.
    if (o.proxy !== undefined && typeof err === 'object' && err !== null) (err as Error & Partial<ThroughProxy>).proxy ??= o.proxy;
    // Our own timer, not the error's name: undici reports a proxy's refusal as an AbortError too.
    return { name: u.name, url, ok: false, detail: signal.aborted ? `${shownUrl(u.baseUrl)} gave no answer within ${timeoutMs / 1000} s` : upstreamFailure(err, url).message };
  }
  const ms = Math.round(performance.now() - started);
  const seen = { name: u.name, url, status, ms };
  const at = shownUrl(u.baseUrl);
  if (status === 200) return { ...seen, ok: true, detail: u.apiKey === undefined ? `${at} answers without a key (HTTP 200 in ${ms} ms)` : `${at} takes the key (HTTP 200 in ${ms} ms)` };
  if (status === 401 || status === 403) {
    return u.apiKey === undefined
      ? { ...seen, ok: true, detail: `${at} answers (HTTP ${status} in ${ms} ms); no key is configured, so clients must send their own` }
      : { ...seen, ok: false, detail: `${at} refuses the configured key (HTTP ${status}): check its api_key` };
  }
  // A server that lists no models (some local ones) still answered: the connection and the key are what matter here.
  if (status === 404) return { ...seen, ok: true, detail: `${at} answers (HTTP 404 in ${ms} ms: it lists no models at ${path})` };
  return { ...seen, ok: false, detail: `${at} answers HTTP ${status} to ${path}` };
}

/** The model list's path, and the headers with the key where the dialect's adapter puts it. */
function modelList(u: CheckedUpstream): { path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = u.dialect === 'anthropic' ? { 'anthropic-version': ANTHROPIC_VERSION, ...u.headers } : { ...u.headers };
  // The gateway's own calls never put a key in the query, so the adapter's query is not read back.
  if (u.apiKey !== undefined) adapterFor(u.dialect).writeCredential(headers, new URLSearchParams(), u.apiKey, undefined);
  return { path: u.dialect === 'gemini' ? '/v1beta/models' : '/v1/models', headers };
}
