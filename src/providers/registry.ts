import { APIS, type Api, DIALECTS, type Dialect } from '../core/api.js';
import { anthropicAdapter } from './anthropic/adapter.js';
import { ANTHROPIC_ROUTES, lookupAnthropicRoute } from './anthropic/routes.js';
import { geminiAdapter } from './gemini/adapter.js';
import { GEMINI_ROUTES, lookupGeminiRoute } from './gemini/routes.js';
import { openaiAdapter } from './openai/adapter.js';
import { OPENAI_ROUTES, lookupOpenaiRoute } from './openai/routes.js';
import { type RouteLookup, mergeLookups } from './shared/routes.js';
import type { DialectAdapter, HeaderBag } from './types.js';

export const ADAPTERS = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
} as const satisfies Record<Dialect, DialectAdapter>;

export function adapterFor(dialect: Dialect): DialectAdapter {
  return ADAPTERS[dialect];
}

const LOOKUPS: Record<Dialect, (method: string, pathname: string, first: boolean) => RouteLookup> = {
  openai: lookupOpenaiRoute,
  anthropic: lookupAnthropicRoute,
  gemini: lookupGeminiRoute,
};

/**
 * Looks a request up in the route tables of `dialects` (all of them by default).
 * `pathname` excludes the query string and any `/p/{provider}` prefix.
 *
 * @example
 * lookupRoute('POST', '/v1/messages')      // { kind: 'match', route: { api: 'anthropic.messages', … } }
 * lookupRoute('GET', '/v1/messages')       // { kind: 'wrong_method', allow: ['POST'] }  → 405
 * lookupRoute('POST', '/v1/unknown')       // { kind: 'unknown' }                       → 404
 * lookupRoute('POST', '/v1/messages', ['openai'])  // { kind: 'unknown' }
 */
export function lookupRoute(method: string, pathname: string, dialects: readonly Dialect[] = DIALECTS): RouteLookup {
  // The usual request matches its first dialect's table: the others are only read when it does not.
  const first = LOOKUPS[dialects[0]!](method, pathname, true);
  if (first.kind === 'match' || dialects.length === 1) return first;
  return mergeLookups([first, ...dialects.slice(1).map((d) => LOOKUPS[d](method, pathname, false))]);
}

/**
 * The dialects to look a request up in, the one it is for first, since a path two dialects
 * share (`GET /v1/models`) matches the first: the dialect its headers (or a Gemini `?key=`) claim, else the one of
 * the provider `/p/{provider}` names, else the default order (OpenAI first).
 */
export function preferredDialects(headers: HeaderBag, provider: Dialect | undefined, search = ''): readonly Dialect[] {
  const first = DIALECTS.find((d) => ADAPTERS[d].claims(headers, search)) ?? provider;
  return first === undefined || first === DIALECTS[0] ? DIALECTS : [first, ...DIALECTS.filter((d) => d !== first)];
}

const ROUTES = [...OPENAI_ROUTES, ...ANTHROPIC_ROUTES, ...GEMINI_ROUTES];

/** APIs whose requests carry no body (listing models, looking a stored response up), and those no request is routed to. */
export const BODYLESS_APIS: ReadonlySet<Api> = new Set(APIS.filter((api) => ROUTES.every((r) => r.api !== api || r.noBody === true)));
