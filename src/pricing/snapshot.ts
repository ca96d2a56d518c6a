import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ModelInfo, Provider } from '@pydantic/genai-prices';
import { catalogMatches, exactModel, isAnchoredMatch } from './anchored-match.js';
import type { CatalogLookup } from './pricer.js';

/**
 * A compact copy of the price catalog's entries for the providers an import prices
 * (Claude Code: anthropic; Codex: openai). Loading `@pydantic/genai-prices` evaluates its
 * whole data set, about half of a first import's start-up beyond bare Node; the build
 * writes this copy from the pinned package (write-snapshot.ts), so the catalog stays the
 * source of truth. A copy written from another version of the package is not used.
 */
export const SNAPSHOT_PROVIDERS = ['anthropic', 'openai'] as const;

/** The file the build writes beside the compiled module. */
export const SNAPSHOT_FILE = 'catalog-snapshot.json';

export interface CatalogSnapshot {
  /** The version of `@pydantic/genai-prices` it was taken from. */
  catalogVersion: string;
  providers: SnapshotProvider[];
}

interface SnapshotProvider {
  id: string;
  fallback_model_providers?: string[];
  models: ModelInfo[];
}

/** The snapshot of `providers` (and the providers they fall back to), keeping only what pricing reads. */
export function takeSnapshot(find: (id: string) => Provider | undefined, catalogVersion: string, providers: readonly string[] = SNAPSHOT_PROVIDERS): CatalogSnapshot {
  const taken = new Map<string, SnapshotProvider>();
  const take = (id: string) => {
    const p = find(id);
    if (!p || taken.has(p.id)) return;
    taken.set(p.id, { id: p.id, ...(p.fallback_model_providers ? { fallback_model_providers: p.fallback_model_providers } : {}), models: p.models.map((m) => ({ id: m.id, match: m.match, prices: m.prices })) });
    for (const f of p.fallback_model_providers ?? []) take(f);
  };
  for (const id of providers) take(id);
  return JSON.parse(JSON.stringify({ catalogVersion, providers: [...taken.values()] })) as CatalogSnapshot;
}

/**
 * The lookup over a snapshot: the model the catalog's `calcPrice` finds for a provider
 * named by its id (the first model whose match rule holds, else the first in a provider
 * it falls back to), kept only if it matched by an exact rule. `calcPrice` then retries a
 * compact date suffix written with dashes (`-20250929` as `-2025-09-29`), which is not
 * done here: a model found only that way never matches the original name by an exact
 * rule (an exact rule always matches). A provider the snapshot lacks is asked of the catalog.
 */
export function snapshotLookup(s: CatalogSnapshot, catalog: () => CatalogLookup = libraryLookup): CatalogLookup {
  const providers = new Map(s.providers.map((p) => [p.id, p]));
  const cache = new Map<string, ModelInfo | null>();
  const inProvider = (p: SnapshotProvider, id: string, withFallbacks: boolean): ModelInfo | undefined => {
    const m = p.models.find((x) => catalogMatches(x.match, id));
    if (m || !withFallbacks) return m;
    for (const f of p.fallback_model_providers ?? []) {
      const other = providers.get(f);
      const found = other && inProvider(other, id, false);
      if (found) return found;
    }
    return undefined;
  };
  return (provider, model) => {
    const p = providers.get(provider);
    if (!p) return catalog()(provider, model);
    const key = `${provider}\u0000${model}`;
    let hit = cache.get(key);
    if (hit === undefined) {
      const found = inProvider(p, model.toLowerCase().trim(), true);
      hit = found && isAnchoredMatch(found.match, model) ? found : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(key, hit);
    }
    return hit ?? undefined;
  };
}

let library: CatalogLookup | undefined;

/** The whole catalog, loaded only when asked (synchronously: a pricer is synchronous). */
function libraryLookup(): CatalogLookup {
  if (!library) {
    const { calcPrice } = createRequire(import.meta.url)('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices');
    library = (provider, model) => exactModel(calcPrice, provider, model);
  }
  return library;
}

/** The version of `@pydantic/genai-prices` installed. */
export function installedCatalogVersion(): string {
  const main = import.meta.resolve('@pydantic/genai-prices');
  return (JSON.parse(readFileSync(new URL('../package.json', main), 'utf8')) as { version: string }).version;
}

/** The snapshot the build wrote into `dir`, if there is one and it was taken from the installed catalog. */
export function loadSnapshot(dir: URL = new URL('.', import.meta.url)): CatalogSnapshot | undefined {
  try {
    const s = JSON.parse(readFileSync(new URL(SNAPSHOT_FILE, dir), 'utf8')) as CatalogSnapshot;
    return s.catalogVersion === installedCatalogVersion() ? s : undefined;
  } catch {
    return undefined;
  }
}

/** What an import prices with: the snapshot when the build wrote a current one, else the whole catalog. */
export async function importCatalog(): Promise<CatalogLookup> {
  const s = loadSnapshot();
  return s ? snapshotLookup(s) : (await import('./catalog.js')).catalogModel;
}
