import { type RouteLookup, type RouteSpec, lookupIn } from '../shared/routes.js';

export const OPENAI_ROUTES: readonly RouteSpec[] = [
  { api: 'openai.chat', method: 'POST', path: '/v1/chat/completions' },
  { api: 'openai.responses', method: 'POST', path: '/v1/responses' },
  { api: 'openai.embeddings', method: 'POST', path: '/v1/embeddings' },
  { api: 'openai.models', method: 'GET', path: '/v1/models', noBody: true },
];

export function lookupOpenaiRoute(method: string, pathname: string): RouteLookup {
  return lookupIn('openai', OPENAI_ROUTES, method, pathname);
}
