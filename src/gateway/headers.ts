import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
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
 */
export function upstreamHeaders(client: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  for (const k in client) {
    if (HOP_BY_HOP.has(k) || k.startsWith('x-tollgate-') || k === 'accept-encoding') continue;
    out[k] = client[k]!;
  }
  out['accept-encoding'] = 'identity';
  return out;
}

/** Response headers to pass to the client: everything the provider sent except hop-by-hop (and content-length when the body changes). */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>, keepContentLength: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const k in upstream) {
    const v = upstream[k];
    if (v === undefined) continue;
    if (k === 'content-length' ? !keepContentLength : HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return out;
}
