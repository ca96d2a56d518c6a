export type * from './types.js';
export { ADAPTERS, adapterFor, lookupRoute } from './registry.js';
export type { HttpMethod, RouteLookup } from './shared/routes.js';
export { openaiAdapter } from './openai/adapter.js';
export { anthropicAdapter } from './anthropic/adapter.js';
export { geminiAdapter } from './gemini/adapter.js';
