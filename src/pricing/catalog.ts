import { type ModelInfo, calcPrice, findProvider } from '@pydantic/genai-prices';
import { exactModel } from './anchored-match.js';

/** The catalog's provider id for an upstream: named explicitly, or recognised from its URL. Undefined for local servers. */
export function catalogProviderFor(baseUrl: string, explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  try {
    return findProvider({ providerApiUrl: baseUrl })?.id;
  } catch {
    return undefined;
  }
}

const models = new Map<string, ModelInfo | null>();

/**
 * The catalog entry for a model, only if the catalog matched it by an exact rule.
 * Cached: the catalog's own lookup costs tens of microseconds.
 */
export function catalogModel(provider: string, model: string): ModelInfo | undefined {
  const key = `${provider}\u0000${model}`;
  let hit = models.get(key);
  if (hit === undefined) {
    hit = exactModel(calcPrice, provider, model) ?? null;
    if (models.size > 10_000) models.clear();
    models.set(key, hit);
  }
  return hit ?? undefined;
}
