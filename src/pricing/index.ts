import type { PriceAnswer, PriceQuery, PricerOptions } from './pricer.js';
import { pricerWith } from './pricer.js';
import { zeroUsage } from '../core/usage.js';
import { type CatalogSnapshot, SNAPSHOT_PROVIDERS, catalogKnows, catalogLookup, loadSnapshot, providerFor, providerModels } from './snapshot.js';
import { type DroppedTier, type TierOverride, droppedTiersWith } from './dropped-tiers.js';

export { costOf } from './cost.js';
export type { DroppedTier } from './dropped-tiers.js';
export { type CatalogLookup, type PriceAnswer, type PriceOverrideInput, type PriceQuery, type PricerOptions, pricerWith } from './pricer.js';
export { type FlatTier, type Rates, flatRates, ratesFromCatalog } from './rates.js';
export { type RateBook, type TokenRates, rateBook } from './unit-rates.js';

// Read once per process: the build's snapshot of the catalog (snapshot.ts), if it is current.
let snapshot: CatalogSnapshot | undefined | null = null;
const built = () => (snapshot === null ? (snapshot = loadSnapshot()) : snapshot);

/** The pricer over the catalog (see pricerWith): its snapshot's providers without loading it, the rest from it. */
export function createPricer(o: PricerOptions = {}): (q: PriceQuery) => PriceAnswer {
  return pricerWith(catalogLookup(built()), o);
}

let plain: ((q: PriceQuery) => PriceAnswer) | undefined;
/** Whether the catalog (or its supplement of newer models) prices the model under this catalog provider: config's overrides aside. */
export function catalogPrices(catalogProvider: string, model: string): boolean {
  plain ??= createPricer();
  return plain({ provider: catalogProvider, catalogProvider, model, usage: zeroUsage(), at: new Date() }).costPicos !== null;
}

/** The catalog's provider id for an upstream: named explicitly, or recognised from its URL. Undefined for local servers. */
export function catalogProviderFor(baseUrl: string, explicit: string | undefined): string | undefined {
  return providerFor(built(), baseUrl, explicit);
}

/** Whether the catalog has a provider by this id (or one of its aliases: gemini for google, bedrock for aws…). */
export function knowsCatalogProvider(id: string): boolean {
  return (built()?.providers.some((p) => p.id === id) ?? false) || catalogKnows(id);
}

/** The catalog providers most upstreams are, to suggest for a misspelt one. */
export const COMMON_CATALOG_PROVIDERS: readonly string[] = SNAPSHOT_PROVIDERS;

/** The long-context tiers of catalog and supplement prices that the config's overrides without `long_context` replace (dropped-tiers.ts). */
export function droppedTiers(overrides: readonly TierOverride[], providers: readonly { name: string; catalog: string | undefined }[], at: Date = new Date()): DroppedTier[] {
  return droppedTiersWith(overrides, providers, { models: (p) => providerModels(built(), p), lookup: catalogLookup(built()) }, at);
}
