import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ModelInfo, Provider } from '@pydantic/genai-prices';
import { catalogMatches, exactModel, isAnchoredMatch } from './anchored-match.js';
import type { CatalogLookup } from './pricer.js';

/**
 * A compact copy of the price catalog's entries for the providers most traffic goes to
 * (Claude Code and Anthropic: anthropic; Codex and OpenAI: openai; Gemini: google).
 * Loading `@pydantic/genai-prices` evaluates its whole data set: about half of a first
 * import's start-up beyond bare Node, and megabytes of a gateway's resident memory. The
 * build writes this copy from the pinned package (write-snapshot.ts), so the catalog stays
 * the source of truth; other providers are asked of the whole catalog, loaded then. A copy
 * written from another version of the package is not used.
 */
export const SNAPSHOT_PROVIDERS = ['anthropic', 'openai', 'google'] as const;

/** The public endpoints whose catalog provider the snapshot records, as the catalog recognises them. */
export const SNAPSHOT_URLS = ['https://api.openai.com', 'https://api.anthropic.com', 'https://generativelanguage.googleapis.com'] as const;

/** The file the build writes beside the compiled module. */
export const SNAPSHOT_FILE = 'catalog-snapshot.json';

export interface CatalogSnapshot {
  /** The version of `@pydantic/genai-prices` it was taken from. */
  catalogVersion: string;
  providers: SnapshotProvider[];
  /** The catalog's provider for each of SNAPSHOT_URLS (null: none). */
  urls: Record<string, string | null>;
}

interface SnapshotProvider {
  id: string;
  fallback_model_providers?: string[];
  models: ModelInfo[];
}

/** The snapshot of `providers` (and the providers they fall back to), keeping only what pricing reads. */
export function takeSnapshot(
  find: (id: string) => Provider | undefined,
  byUrl: (url: string) => Provider | undefined,
  catalogVersion: string,
  providers: readonly string[] = SNAPSHOT_PROVIDERS,
): CatalogSnapshot {
  const taken = new Map<string, SnapshotProvider>();
  const take = (id: string) => {
    const p = find(id);
    if (!p || taken.has(p.id)) return;
    taken.set(p.id, { id: p.id, ...(p.fallback_model_providers ? { fallback_model_providers: p.fallback_model_providers } : {}), models: p.models.map((m) => ({ id: m.id, match: m.match, prices: m.prices })) });
    for (const f of p.fallback_model_providers ?? []) take(f);
  };
  for (const id of providers) take(id);
  const urls = Object.fromEntries(SNAPSHOT_URLS.map((u) => [u, byUrl(u)?.id ?? null]));
  return JSON.parse(JSON.stringify({ catalogVersion, providers: [...taken.values()], urls })) as CatalogSnapshot;
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

let library: typeof import('@pydantic/genai-prices') | undefined;

/** The whole catalog, loaded the first time it is asked (synchronously: a pricer is synchronous). */
function loadLibrary(): typeof import('@pydantic/genai-prices') {
  return (library ??= createRequire(import.meta.url)('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices'));
}

const libraryModels = new Map<string, ModelInfo | null>();

/** The catalog entry for a model, only if the catalog matched it by an exact rule; cached, as its own lookup costs tens of microseconds. */
const libraryModel: CatalogLookup = (provider, model) => {
  const key = `${provider}\u0000${model}`;
  let hit = libraryModels.get(key);
  if (hit === undefined) {
    hit = exactModel(loadLibrary().calcPrice, provider, model) ?? null;
    if (libraryModels.size > 10_000) libraryModels.clear();
    libraryModels.set(key, hit);
  }
  return hit ?? undefined;
};

const libraryLookup = (): CatalogLookup => libraryModel;

/**
 * The catalog's provider for an upstream: named explicitly, or recognised from its URL as
 * the catalog does (the first provider whose pattern matches). Answered without the catalog
 * for the URLs the snapshot recorded and for loopback addresses, which no catalog provider
 * names (a test holds the catalog to that); anything else loads it.
 */
export function providerFor(s: CatalogSnapshot | undefined, baseUrl: string, explicit: string | undefined): string | undefined {
  if (explicit) return explicit;
  if (s && Object.hasOwn(s.urls, baseUrl)) return s.urls[baseUrl] ?? undefined;
  if (isLoopback(baseUrl)) return undefined;
  try {
    return loadLibrary().findProvider({ providerApiUrl: baseUrl })?.id;
  } catch {
    return undefined;
  }
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Whether the whole catalog has a provider by this id or alias (it is loaded for this). */
export function catalogKnows(id: string): boolean {
  return loadLibrary().findProvider({ providerId: id }) !== undefined;
}

/**
 * Every model a catalog provider prices, as the lookup would find them: its own, then those of
 * the providers it falls back to. From the snapshot where it has the provider, else the catalog.
 */
export function providerModels(s: CatalogSnapshot | undefined, provider: string): readonly ModelInfo[] {
  // The snapshot holds the providers its own fall back to.
  const snapshot = s?.providers.some((p) => p.id === provider) ? s.providers : undefined;
  const find = (id: string): { models: readonly ModelInfo[]; fallback_model_providers?: string[] | undefined } | undefined =>
    snapshot ? snapshot.find((p) => p.id === id) : loadLibrary().findProvider({ providerId: id });
  const own = find(provider);
  return own ? [...own.models, ...(own.fallback_model_providers ?? []).flatMap((f) => find(f)?.models ?? [])] : [];
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

/** What every command prices with: the snapshot when the build wrote a current one, else the whole catalog. */
export function catalogLookup(s: CatalogSnapshot | undefined = loadSnapshot()): CatalogLookup {
  return s ? snapshotLookup(s) : libraryLookup();
}
