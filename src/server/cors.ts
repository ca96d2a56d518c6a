import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { newRequestId } from '../core/ids.js';
import { splitProviderPrefix } from '../gateway/routes.js';
import { lookupRoute } from '../providers/index.js';

/** `server.cors`: the browser origins allowed to call the API routes; `*` allows any. */
export interface CorsSettings {
  origins: readonly string[];
}

/** Headers browser code may read: ids for support tickets, and what SDKs read to retry and pace. */
const EXPOSED = [
  'x-tollgate-request-id',
  'x-tollgate-budget-remaining',
  'x-tollgate-model-rewritten',
  'x-tollgate-downgrade-skipped',
  'x-tollgate-translated',
  'x-tollgate-deployment',
  'x-tollgate-attempts',
  'request-id',
  'x-request-id',
  'retry-after',
  'retry-after-ms',
  'x-should-retry',
  ...['requests', 'tokens'].flatMap((what) => ['limit', 'remaining', 'reset'].map((k) => `x-ratelimit-${k}-${what}`)),
  ...['requests', 'tokens', 'input-tokens', 'output-tokens'].flatMap((what) => ['limit', 'remaining', 'reset'].map((k) => `anthropic-ratelimit-${what}-${k}`)),
].join(', ');

/** Browsers cache a preflight this long (seconds); a removed origin stops working within it. */
const MAX_AGE = '600';

/**
 * CORS for the API routes (never the admin API, whose token does not belong in a browser).
 * Answers a preflight from an allowed origin for a route the gateway serves, with no ledger
 * row, and returns true; otherwise marks the response for an allowed origin and returns false,
 * leaving the request to the gateway. A disallowed origin gets no CORS headers (the browser
 * then refuses), and its preflight the gateway's 405 as without CORS.
 */
export function applyCors(cors: CorsSettings, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const origin = allowedOrigin(cors, req.headers.origin);
  if (origin === undefined) return false;
  const asked = req.headers['access-control-request-method'];
  if (req.method === 'OPTIONS' && typeof asked === 'string') {
    if (lookupRoute(asked, splitProviderPrefix(path).path).kind !== 'match') return false;
    const headers: OutgoingHttpHeaders = {
      'x-tollgate-request-id': newRequestId(),
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, DELETE',
      'access-control-max-age': MAX_AGE,
      'content-length': 0,
    };
    const want = req.headers['access-control-request-headers'];
    if (typeof want === 'string' && want.trim()) headers['access-control-allow-headers'] = want;
    if (origin !== '*') headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    req.resume();
    res.writeHead(204, headers).end();
    return true;
  }
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', EXPOSED);
  if (origin !== '*') res.setHeader('vary', 'Origin');
  keepOurCorsHeaders(res);
  return false;
}

function allowedOrigin(cors: CorsSettings, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (cors.origins.includes('*')) return '*';
  return cors.origins.includes(origin) ? origin : undefined;
}

/**
 * A provider's own CORS headers answer for its origin, not the gateway's: dropped from the
 * headers the gateway passes to writeHead (which would win over ours), and its Vary keeps Origin.
 */
function keepOurCorsHeaders(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => writeHead(...args.map((a) => (typeof a === 'object' && a !== null && !Array.isArray(a) ? withoutTheirs(a as Record<string, unknown>, res.hasHeader('vary')) : a))));
}

function withoutTheirs(headers: Record<string, unknown>, varyOrigin: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in headers) {
    const lower = k.toLowerCase();
    if (lower.startsWith('access-control-')) continue;
    const v = headers[k];
    out[k] = lower === 'vary' && varyOrigin && typeof v === 'string' && !/\borigin\b/i.test(v) ? `${v}, Origin` : v;
  }
  return out;
}
