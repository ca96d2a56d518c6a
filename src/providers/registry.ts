import { DIALECTS, type Dialect } from '../core/api.js';
import { anthropicAdapter } from './anthropic/adapter.js';
import { lookupAnthropicRoute } from './anthropic/routes.js';
import { geminiAdapter } from './gemini/adapter.js';
import { lookupGeminiRoute } from './gemini/routes.js';
import { openaiAdapter } from './openai/adapter.js';
import { lookupOpenaiRoute } from './openai/routes.js';
import { type RouteLookup, mergeLookups } from './shared/routes.js';
import type { DialectAdapter } from './types.js';

export const ADAPTERS = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
} as const satisfies Record<Dialect, DialectAdapter>;

export function adapterFor(dialect: Dialect): DialectAdapter {
  return ADAPTERS[dialect];
}

const LOOKUPS: Record<Dialect, (method: string, pathname: string) => RouteLookup> = {
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
  return mergeLookups(dialects.map((d) => LOOKUPS[d](method, pathname)));
}
