import type { ModelPrice } from '@pydantic/genai-prices';
import { type Picos, perMillionToPicosPerToken } from '../core/money.js';

/** A per-token price in picos, with whole-request tiers keyed on total input tokens. */
export interface TieredRate {
  base: Picos;
  /** Ascending; a tier applies when total input tokens exceed `above`. */
  tiers: { above: number; rate: Picos }[];
}

/** Exact per-token rates. A missing cache rate falls back to its parent (see cost.ts). */
export interface Rates {
  input: TieredRate;
  output: TieredRate;
  cacheRead?: TieredRate;
  cacheWrite?: TieredRate;
  cacheWrite1h?: TieredRate;
  /** Audio tokens' own rates (a missing one falls back to the text rate). */
  inputAudio?: TieredRate;
  cacheReadAudio?: TieredRate;
  outputAudio?: TieredRate;
  /** Image input tokens' own rates (image models; a missing one falls back to the text rate). */
  inputImage?: TieredRate;
  cacheReadImage?: TieredRate;
  /** A fee per request, in picos. */
  perRequest?: Picos;
  /** A fee per server-side web search, in picos. */
  perWebSearch?: Picos;
}

/** A catalog price as quoted: flat, or a base with long-context tiers. */
export type Quoted = number | string | { base: number | string; tiers: { start: number; price: number | string }[] };

function tiered(v: Quoted): TieredRate {
  if (typeof v === 'number' || typeof v === 'string') return { base: perMillionToPicosPerToken(v), tiers: [] };
  return {
    base: perMillionToPicosPerToken(v.base),
    tiers: [...v.tiers].sort((a, b) => a.start - b.start).map((t) => ({ above: t.start, rate: perMillionToPicosPerToken(t.price) })),
  };
}

/** Converts a catalog price (USD per million tokens, maybe tiered) into exact rates. Undefined when it has no token prices. */
export function ratesFromCatalog(p: ModelPrice): Rates | undefined {
  const get = (k: string) => p[k] as Quoted | undefined;
  const input = get('input_mtok');
  const output = get('output_mtok');
  if (input === undefined && output === undefined) return undefined;
  const opt = (k: string) => {
    const v = get(k);
    return v === undefined ? undefined : tiered(v);
  };
  const perK = get('requests_kcount');
  const searchesPerK = get('web_searches_kcount');
  return {
    input: tiered(input ?? 0),
    output: tiered(output ?? 0),
    cacheRead: opt('cache_read_mtok'),
    cacheWrite: opt('cache_write_mtok') ?? opt('cache_write_5m_mtok'),
    cacheWrite1h: opt('cache_write_1h_mtok'),
    inputAudio: opt('input_audio_mtok'),
    cacheReadAudio: opt('cache_audio_read_mtok'),
    outputAudio: opt('output_audio_mtok'),
    inputImage: opt('input_image_mtok'),
    cacheReadImage: opt('cache_image_read_mtok'),
    // USD per thousand requests → picos per request.
    perRequest: perThousand(perK),
    perWebSearch: perThousand(searchesPerK),
  };
}

/** USD per thousand (requests, searches) → picos each. */
export function perThousand(v: Quoted | undefined): Picos | undefined {
  return typeof v === 'number' || typeof v === 'string' ? perMillionToPicosPerToken(v) * 1000n : undefined;
}

/** Prices in USD per million tokens, as exact decimal text (a config override's). */
export interface FlatPrices {
  input: string;
  output: string;
  cacheRead?: string | undefined;
  cacheWrite?: string | undefined;
  cacheWrite1h?: string | undefined;
}

/**
 * A long-context tier of flat prices: once a request's input (cache reads and writes included)
 * is above `aboveTokens`, the whole request at these, as the catalog's tiers reprice it. It
 * prices exactly the cache classes its override prices (the config checks this).
 */
export interface FlatTier extends FlatPrices {
  aboveTokens: number;
}

/** Rates from decimal text (config overrides), flat or with one long-context tier. */
export function flatRates(q: FlatPrices & { longContext?: FlatTier | undefined }): Rates {
  const lc = q.longContext;
  const rate = (key: keyof FlatPrices): TieredRate | undefined => {
    const [base, above] = [q[key], lc?.[key]];
    // A cache price the tier left out would stay at its short rate past the boundary, unseen.
    if (lc && (base === undefined) !== (above === undefined)) throw new RangeError(`an override's long-context tier must price ${key} exactly when the override does`);
    if (base === undefined) return undefined;
    return { base: perMillionToPicosPerToken(base), tiers: lc && above !== undefined ? [{ above: lc.aboveTokens, rate: perMillionToPicosPerToken(above) }] : [] };
  };
  return { input: rate('input')!, output: rate('output')!, cacheRead: rate('cacheRead'), cacheWrite: rate('cacheWrite'), cacheWrite1h: rate('cacheWrite1h') };
}
