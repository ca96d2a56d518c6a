import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { carriesVirtualKey } from '../identity/virtual-keys.js';
import type { HeaderBag } from '../providers/types.js';

// RFC 9110 §7.6.1 connection-specific headers, plus ones the gateway sets itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

/** The client's headers as a flat bag (repeated lines joined with ", ", as RFC 9110 §5.3 allows). */
export function headerBag(h: IncomingHttpHeaders): HeaderBag {
  const out: HeaderBag = {};
  // for-in, not Object.entries: no array per header on the hot path.
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Headers to send upstream: the client's, minus hop-by-hop and every x-tollgate-*
 * header, asking for an uncompressed answer (`accept-encoding: identity`): the gateway
 * must read usage from the body, and decompressing every response would put CPU on the
 * hot path. Dropping the header would not do: without it any coding is acceptable
 * (RFC 9110 §12.5.3), and a compressed answer would be metered as empty.
 *
 * A header holding a Tollgate key is dropped too: the credential step replaces the key only
 * where the dialect reads one, and a client may send it in a second place as well (`x-api-key`
 * to an OpenAI provider, Azure's `api-key`), which would hand it to the provider.
 */
export function upstreamHeaders(client: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  const named = connectionNamed(client.connection);
  for (const k in client) {
    if (HOP_BY_HOP.has(k) || k.startsWith('x-tollgate-') || k === 'accept-encoding' || named?.has(k)) continue;
    const v = client[k]!;
    if (carriesVirtualKey(v)) continue;
    out[k] = v;
  }
  out['accept-encoding'] = 'identity';
  return out;
}

/** Takes every query parameter holding a Tollgate key off (`?key=tg_…` to a dialect that reads no key there), as `upstreamHeaders` does headers. */
export function dropVirtualKeys(query: URLSearchParams): void {
  if (query.size === 0) return;
  const names = new Set<string>();
  for (const [name, value] of query) if (carriesVirtualKey(value)) names.add(name);
  for (const name of names) query.delete(name);
}

/**
 * Response headers to pass to the client: everything the provider sent except hop-by-hop (and
 * content-length when the body changes) and `x-tollgate-*`, which are this gateway's to say: a
 * provider that is itself a Tollgate (or says it is) would otherwise replace the request id that
 * names this gateway's row, and its budget's room for this gateway's.
 */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>, keepContentLength: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = upstream.connection;
  const named = connectionNamed(Array.isArray(connection) ? connection.join(',') : connection);
  for (const k in upstream) {
    const v = upstream[k];
    if (v === undefined) continue;
    if (k === 'content-length' ? !keepContentLength : HOP_BY_HOP.has(k) || named?.has(k) || k.startsWith('x-tollgate-')) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The headers a `Connection` header names (RFC 9110 §7.6.1: `Connection: close, x-hop` makes
 * `x-hop` this hop's alone, to be removed by a proxy), lower-cased; undefined when it names none
 * besides the usual `keep-alive` and `close`.
 */
function connectionNamed(connection: string | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  let named: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'keep-alive' || name === 'close') continue;
    (named ??= new Set()).add(name);
  }
  return named;
}

/**
 * The query to send upstream: the client's as it sent it, byte for byte, except the parameters
 * the gateway changed (the key, a routed model's name), which are dropped from it and written
 * after it. Re-rendering the whole query would re-encode what the client sent (`c:d` as `c%3Ad`).
 */
export function forwardedQuery(search: string, query: URLSearchParams): string {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  // Most requests have no query: nothing to compare.
  if (raw === '' && query.size === 0) return '';
  const sent = new URLSearchParams(raw);
  const changed: string[] = [];
  for (const name of new Set([...sent.keys(), ...query.keys()])) {
    const before = sent.getAll(name);
    const after = query.getAll(name);
    if (before.length !== after.length || before.some((v, i) => v !== after[i])) changed.push(name);
  }
  if (changed.length === 0) return raw;
  const kept = raw === '' ? [] : raw.split('&').filter((part) => !changed.includes(paramName(part)));
  for (const name of changed) for (const v of query.getAll(name)) kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`);
  return kept.join('&');
}

/** A query part's parameter name, decoded as URLSearchParams decodes it. */
function paramName(part: string): string {
  return new URLSearchParams(part).keys().next().value ?? '';
}
