import type { ModelInfo, ModelPrice } from '@pydantic/genai-prices';
import { compileGlob } from '../core/glob.js';
import type { CatalogLookup } from './pricer.js';
import { priceAt } from './price-at.js';
import type { Quoted } from './rates.js';
import { SUPPLEMENT, correctedPrice, supplementPrice } from './supplement.js';

/** A long-context tier an override without one replaces: the model's own price has it, the override bills every request flat. */
export interface DroppedTier {
  /** The override's place in `pricing.overrides` and its glob. */
  index: number;
  glob: string;
  /** The catalog provider, and the id of its entry (catalog, correction or supplement) whose price has the tier. */
  catalog: string;
  model: string;
  /** The tier's boundary: the whole request at the long prices once its input is above this many tokens. */
  above: number;
  /** Each token price the tier changes, in USD per million: its short and long prices. */
  prices: { name: string; short: string; long: string }[];
}

export interface TierOverride {
  model: string;
  provider?: string | undefined;
  longContext?: unknown;
}

/** The token prices a tier reprices, by the catalog's names, as a notice names them. */
const TOKEN_PRICES: readonly (readonly [string, string])[] = [
  ['input_mtok', 'input'],
  ['cache_read_mtok', 'cache read'],
  ['cache_write_mtok', 'cache write'],
  ['cache_write_5m_mtok', 'cache write'],
  ['cache_write_1h_mtok', '1h cache write'],
  ['output_mtok', 'output'],
];

/** The lowest long-context tier of a price, if it has one. */
export function tierOf(p: ModelPrice): Pick<DroppedTier, 'above' | 'prices'> | undefined {
  const quoted = (k: string) => p[k] as Quoted | undefined;
  const starts = TOKEN_PRICES.flatMap(([k]) => {
    const q = quoted(k);
    return typeof q === 'object' ? q.tiers.map((t) => t.start) : [];
  });
  if (starts.length === 0) return undefined;
  const above = Math.min(...starts);
  const prices = TOKEN_PRICES.flatMap(([k, name]) => {
    const q = quoted(k);
    const long = typeof q === 'object' ? q.tiers.find((t) => t.start === above) : undefined;
    return q === undefined || typeof q !== 'object' || !long ? [] : [{ name, short: String(q.base), long: String(long.price) }];
  });
  return { above, prices };
}

/**
 * The long-context tiers overrides without `long_context` drop: for each such override, the
 * models of the catalogs of the providers it applies to (all, or the one it names) whose price
 * at `at` has a tier, and whose id its glob matches (or, for a glob without wildcards, that it
 * names, as a request for it would be looked up). Catalog entries, corrections and the supplement alike.
 */
export function droppedTiersWith(
  overrides: readonly TierOverride[],
  providers: readonly { name: string; catalog: string | undefined }[],
  catalog: { models: (provider: string) => readonly ModelInfo[]; lookup: CatalogLookup },
  at: Date,
): DroppedTier[] {
  const out: DroppedTier[] = [];
  overrides.forEach((o, index) => {
    if (o.longContext) return;
    const glob = compileGlob(o.model);
    const catalogs = new Set(providers.filter((p) => o.provider === undefined || p.name === o.provider).flatMap((p) => (p.catalog ? [p.catalog] : [])));
    for (const c of catalogs) {
      const found = new Map<string, ModelPrice>();
      const entry = (info: ModelInfo) => {
        if (!found.has(info.id)) found.set(info.id, correctedPrice(c, info.id, at) ?? priceAt(info, at));
      };
      for (const info of catalog.models(c)) if (glob.test(info.id)) entry(info);
      for (const e of SUPPLEMENT) if (e.provider === c && glob.test(e.id) && !found.has(e.id)) found.set(e.id, supplementPrice(c, e.id, at)!.price);
      if (!/[*?]/.test(o.model)) {
        const info = catalog.lookup(c, o.model);
        const supplemented = info ? undefined : supplementPrice(c, o.model, at);
        if (info) entry(info);
        else if (supplemented && !found.has(supplemented.id)) found.set(supplemented.id, supplemented.price);
      }
      for (const [model, price] of found) {
        const tier = tierOf(price);
        if (tier) out.push({ index, glob: o.model, catalog: c, model, ...tier });
      }
    }
  });
  return out;
}
