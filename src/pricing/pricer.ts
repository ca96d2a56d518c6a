import type { ModelInfo, ModelPrice } from '@pydantic/genai-prices';
import { compileGlobs } from '../core/glob.js';
import { MAX_ROW_PICOS, PICOS_PER_USD, type Picos, roundHalfUp, scaleByFraction, scaled } from '../core/money.js';
import type { Usage } from '../core/usage.js';
import { costOf, feesOf, imageGenerationCost, withoutRounds } from './cost.js';
import { withoutContextLabel } from './model-id.js';
import { geoMultiplier, speedMultiplier, tierMultiplier } from './modifiers.js';
import { priceAt } from './price-at.js';
import { type FlatTier, type Rates, flatRates, perThousand, ratesFromCatalog } from './rates.js';
import { SEARCH_FEES, correctedPrice, supplementPrice } from './supplement.js';

export interface PriceOverrideInput {
  /** Model glob. */
  model: string;
  /** Only for this provider (config name), if set. */
  provider?: string | undefined;
  /** USD per million tokens, decimal text. */
  input: string;
  output: string;
  cacheRead?: string | undefined;
  cacheWrite?: string | undefined;
  cacheWrite1h?: string | undefined;
  /** One long-context tier: the whole request at its prices once its input (cache reads and writes included) is above `aboveTokens`. */
  longContext?: FlatTier | undefined;
}

export interface PricerOptions {
  overrides?: readonly PriceOverrideInput[];
  /** Anthropic fast mode's multiplier (decimal text) for models (globs) whose premium is not published. */
  fastMode?: readonly { model: string; multiplier: string }[];
  /** Provider name → discount fraction as decimal text ("0.05" is 5%). */
  discounts?: Readonly<Record<string, string>>;
}

export interface PriceQuery {
  /** The configured provider's name (discounts and overrides key on it). */
  provider: string;
  /** The pricing catalog's provider id (openai, anthropic, google…), if known. */
  catalogProvider: string | undefined;
  model: string;
  usage: Usage;
  at: Date;
  serviceTier?: string | undefined;
}

export interface PriceAnswer {
  costPicos: Picos | null;
  unpriced: boolean;
  /** Priced, but more than MAX_ROW_PICOS: null and unpriced for a row, too large to count for a budget's estimate. */
  tooLarge?: boolean;
  source: 'override' | 'catalog' | 'supplement' | null;
}

/**
 * A model's catalog entry when the catalog matched it by an exact rule: looked up in the
 * build's snapshot of the catalog or in the whole catalog (snapshot.ts), which this module
 * does not load.
 */
export type CatalogLookup = (provider: string, model: string) => ModelInfo | undefined;

/**
 * Prices usage exactly. Order: a config override (glob), the catalog (exact match only),
 * the supplement of newer models; else the row is unpriced, never priced by a
 * look-alike. Then the reported service tier, speed and inference geography (modifiers.ts),
 * the fees per search (an override's as overrideFees says), a tool's image generation and another
 * model's sub-inferences at their models' rates (found the same way), and the provider's negotiated discount.
 */
export function pricerWith(catalogModel: CatalogLookup, o: PricerOptions = {}): (q: PriceQuery) => PriceAnswer {
  const overrides = (o.overrides ?? []).map((x) => ({ matches: compileGlobs([x.model]), provider: x.provider, rates: flatRates(x) }));
  const published = new Map([...SEARCH_FEES].map(([provider, usdPerThousand]) => [provider, perThousand(usdPerThousand)!]));
  const keep = new Map(Object.entries(o.discounts ?? {}).map(([name, d]) => [name, PICOS_PER_USD - scaled(d, 12)]));
  const fastMode = (o.fastMode ?? []).map((x) => ({ matches: compileGlobs([x.model]), multiplier: x.multiplier }));
  const configuredFast = (model: string) => fastMode.find((x) => x.matches(model))?.multiplier;
  const catalogRates = new WeakMap<ModelPrice, Rates | null>();
  const fromCatalog = (p: ModelPrice) => {
    let r = catalogRates.get(p);
    if (r === undefined) catalogRates.set(p, (r = ratesFromCatalog(p) ?? null));
    return r ?? undefined;
  };

  const catalogRatesOf = (q: PriceQuery, model: string): { rates: Rates; source: 'catalog' | 'supplement' } | undefined => {
    if (!q.catalogProvider) return undefined;
    const info = catalogModel(q.catalogProvider, model);
    const corrected = info && correctedPrice(q.catalogProvider, info.id, q.at);
    const price = corrected ?? (info ? priceAt(info, q.at) : supplementPrice(q.catalogProvider, model, q.at)?.price);
    const rates = price && fromCatalog(price);
    return rates ? { rates, source: info && !corrected ? 'catalog' : 'supplement' } : undefined;
  };
  const ratesOf = (q: PriceQuery, model: string): { rates: Rates; source: NonNullable<PriceAnswer['source']> } | undefined => {
    const ov = overrides.find((x) => (x.provider === undefined || x.provider === q.provider) && x.matches(model));
    return ov ? { rates: ov.rates, source: 'override' } : catalogRatesOf(q, model);
  };
  /**
   * An override prices tokens, not searches: its searches cost what the model's own price at the
   * provider's catalog (catalog, correction or supplement) charges, else, for a model none of them
   * prices, what the provider publishes per search on every model (SEARCH_FEES), else nothing.
   */
  const overrideFees = (q: PriceQuery, model: string): Pick<Rates, 'perWebSearch'> => {
    const own = catalogRatesOf(q, model);
    return own ? own.rates : { perWebSearch: q.catalogProvider === undefined ? undefined : published.get(q.catalogProvider) };
  };

  return (q) => {
    // Claude Code's 1M-context label: the model's own prices, its long-context tier by the request's
    // input as for any request. An override written for the label as it is still comes first.
    const model = withoutContextLabel(q.model);
    const found = ratesOf(q, q.model) ?? (model === q.model ? undefined : ratesOf(q, model));
    // A tool's images are priced at their own model's rates: without them the request's cost is unknown.
    const images = q.usage.imageGeneration;
    const imageRates = images && ratesOf(q, images.model)?.rates;
    // So are another model's sub-inferences (an advisor's).
    const rounds = q.usage.rounds ?? [];
    const roundRates = rounds.map((r) => (r.model === undefined ? found?.rates : ratesOf(q, r.model)?.rates));
    if (!found || (images && !imageRates) || roundRates.includes(undefined)) return { costPicos: null, unpriced: true, source: null };
    const { rates, source } = found;
    const speed = speedMultiplier(q.catalogProvider, model, q.usage.speed, configuredFast);
    if (speed === null) return { costPicos: null, unpriced: true, source: null };
    // The request's own rounds (a compaction) are inside its counts, but each is billed at its own length tier;
    // so may another model's be (a fallback's declined hop), billed at its rates below.
    const own = rounds.filter((r) => r.model === undefined);
    const inside = rounds.filter((r) => r.model === undefined || r.inCounts === true);
    let cost = costOf(inside.length === 0 ? q.usage : withoutRounds(q.usage, inside), rates);
    for (const r of own) cost += costOf(r.usage, rates);
    const tier = tierMultiplier(q.catalogProvider, q.serviceTier, q.at, model);
    if (tier) cost = scaleByFraction(cost, tier);
    if (speed) cost = scaleByFraction(cost, speed);
    const geo = geoMultiplier(q.catalogProvider, model, q.usage.inferenceGeo);
    if (geo) cost = scaleByFraction(cost, geo);
    if (q.usage.webSearches) cost += feesOf(q.usage, source === 'override' ? overrideFees(q, model) : rates);
    if (images && imageRates) cost += imageGenerationCost(images, imageRates);
    // Another model's rounds at its rates and the request's service tier; the speed and geography are the request's model's.
    let sub = 0n;
    for (const [i, r] of rounds.entries()) if (r.model !== undefined) sub += costOf(r.usage, roundRates[i]!);
    cost += tier ? scaleByFraction(sub, tier) : sub;
    const k = keep.get(q.provider);
    if (k !== undefined) cost = roundHalfUp(cost * k, PICOS_PER_USD);
    // A row's cost no row can hold comes of a price in the wrong unit: the row is kept, unpriced, rather than refused by
    // storage. An estimate's comes of a huge output cap: `tooLarge` tells it from a model without a price.
    if (cost > MAX_ROW_PICOS) return { costPicos: null, unpriced: true, source: null, tooLarge: true };
    return { costPicos: cost, unpriced: false, source };
  };
}
