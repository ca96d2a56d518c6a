import { type RouteLookup, type RouteSpec, lookupIn } from '../shared/routes.js';

/** Paths only: `?beta=true` (sent by Claude Code on count_tokens) is the caller's query string. */
export const ANTHROPIC_ROUTES: readonly RouteSpec[] = [
  { api: 'anthropic.messages', method: 'POST', path: '/v1/messages' },
  { api: 'anthropic.count_tokens', method: 'POST', path: '/v1/messages/count_tokens' },
];

export function lookupAnthropicRoute(method: string, pathname: string): RouteLookup {
  return lookupIn('anthropic', ANTHROPIC_ROUTES, method, pathname);
}
