import { type RouteLookup, type RouteSpec, lookupIn, modelAfter } from '../shared/routes.js';

/**
 * Paths only: `?beta=true` (sent by Claude Code on count_tokens) is the caller's query string.
 * `/v1/models` is OpenAI's path too: the gateway looks Anthropic's up first when the request
 * says it is for Anthropic (see `preferredDialects`).
 */
export const ANTHROPIC_ROUTES: readonly RouteSpec[] = [
  { api: 'anthropic.messages', method: 'POST', path: '/v1/messages' },
  { api: 'anthropic.count_tokens', method: 'POST', path: '/v1/messages/count_tokens' },
  { api: 'anthropic.models', method: 'GET', path: '/v1/models', noBody: true },
  { api: 'anthropic.models', method: 'GET', path: modelAfter('/v1/models/'), noBody: true },
];

export function lookupAnthropicRoute(method: string, pathname: string): RouteLookup {
  return lookupIn('anthropic', ANTHROPIC_ROUTES, method, pathname);
}
