export type * from './types.js';
export { ADAPTERS, BODYLESS_APIS, adapterFor, lookupRoute, preferredDialects } from './registry.js';
export type { HttpMethod, RouteLookup } from './shared/routes.js';
export { openaiAdapter } from './openai/adapter.js';
export { anthropicAdapter } from './anthropic/adapter.js';
export { geminiAdapter } from './gemini/adapter.js';
