import type { Dialect } from '../core/api.js';
import { GatewayError } from '../core/errors.js';
import { lookupRoute } from '../providers/index.js';

/**
 * The dialect an unknown path most likely belongs to, so its 404 is readable by the client's SDK:
 * the path's own when it has one, else `byRequest` (the dialect the request's headers claim, or
 * its `/p/{provider}`'s: an Anthropic SDK asking for `/v1/agents` reads Anthropic's error shape).
 */
export function guessDialect(pathname: string, byRequest: Dialect = 'openai'): Dialect {
  if (pathname.startsWith('/v1beta') || pathname.startsWith('/upload/v1beta')) return 'gemini';
  if (pathname.startsWith('/v1/messages') || pathname.startsWith('/v1/complete')) return 'anthropic';
  return byRequest;
}

/** Splits `/p/{provider}/rest` into the provider name and the API path. */
export function splitProviderPrefix(pathname: string): { provider: string | undefined; path: string } {
  if (!pathname.startsWith('/p/')) return { provider: undefined, path: pathname };
  const rest = pathname.slice(3);
  const slash = rest.indexOf('/');
  if (slash <= 0) return { provider: safeDecode(rest), path: '/' };
  return { provider: safeDecode(rest.slice(0, slash)), path: rest.slice(slash) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The 404 for a path Tollgate does not serve. A client whose base URL lacks its API version or
 * repeats it (`/chat/completions`, `/v1/v1/messages`) is told the path it meant and where the
 * version belongs, the commonest set-up mistake; `details.served_path` names it.
 */
export function unknownRoute(method: string, path: string, dialects: readonly Dialect[]): GatewayError {
  const said = `Tollgate does not serve ${method} ${path}.`;
  const tries = path.startsWith('/v1/v1/') || path.startsWith('/v1beta/v1beta/') ? [path.slice(path.indexOf('/', 1))] : path.startsWith('/v1') ? [] : [`/v1${path}`, `/v1beta${path}`];
  const meant = tries.find((p) => lookupRoute(method, p, dialects).kind === 'match');
  if (meant === undefined) return new GatewayError('unknown_route', said);
  const hint = `${said} It serves ${method} ${meant}: check the client's base URL (OpenAI clients take the gateway's address followed by /v1; Anthropic and Gemini clients the address alone).`;
  return new GatewayError('unknown_route', hint, { details: { served_path: meant } });
}
