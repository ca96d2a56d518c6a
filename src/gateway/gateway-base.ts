import type { HeaderBag } from '../providers/types.js';

/**
 * The gateway's base URL as the client reached it: the scheme (`x-forwarded-proto` from a
 * TLS-terminating proxy, else https when `tls`, the gateway's own, carried the request, else http),
 * the request's Host, and its `/p/{provider}` prefix when it had one. A Message Batch's `results_url`
 * is rewritten to it (see RequestInfo.gatewayBase), and a Gemini upload URL (objects/gemini-uploads.ts).
 */
export function gatewayBase(headers: HeaderBag, url: string | undefined, tls = false): string {
  const proto = headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const scheme = proto === 'https' || proto === 'http' ? proto : tls ? 'https' : 'http';
  const path = url ?? '/';
  const prefix = path.startsWith('/p/') ? path.slice(0, path.indexOf('/', 3) < 0 ? path.length : path.indexOf('/', 3)) : '';
  return `${scheme}://${headers.host ?? 'localhost'}${prefix}`;
}
