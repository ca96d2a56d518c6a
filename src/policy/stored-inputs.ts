import type { AdmitRequest, Served } from './admission.js';
import { type StoredContext, continuesStoredContext, previousResponseId } from './estimate.js';
import { cachedContentName } from '../providers/gemini/caches.js';
import type { CachedContent } from './gemini-cache.js';
import type { PolicySettings } from './settings.js';

export interface StoredInputLookups {
  settings: PolicySettings;
  /** A Responses follow-up's stored context (ResponseContexts); absent, `policy.responses_context_tokens`. */
  storedContext?: (previous: string | undefined) => Promise<StoredContext>;
  /** An explicit Gemini cache's size (GeminiCaches); absent, `policy.gemini_cache_tokens`. */
  cachedContent?: (name: string) => Promise<CachedContent>;
}

/**
 * What admission looks up (each boundedly) for a request that names input billed to it but not in its
 * body: a Responses follow-up's stored context, a Gemini request's explicit cache. Set on the request
 * once, so that a second reservation (a downgrade, a fallback) counts the same.
 */
export function storedInputs(d: StoredInputLookups): (req: AdmitRequest<Served>) => Promise<void> {
  const context = d.storedContext ?? (() => Promise.resolve({ tokens: d.settings.responsesContextTokens, previous: null }));
  const cached = d.cachedContent ?? (() => Promise.resolve({ tokens: d.settings.geminiCacheTokens, cache: null }));
  return async (req) => {
    if (req.context === undefined && continuesStoredContext(req.json, req.api)) req.context = await context(previousResponseId(req.json, req.api));
    const cache = req.cached === undefined ? cachedContentName(req.json) : undefined;
    if (cache !== undefined) req.cached = await cached(cache);
  };
}
