import type { Config } from '../config/index.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { pricedAtTier } from '../core/service-tier.js';
import { type Usage, zeroUsage } from '../core/usage.js';
import { catalogProviderFor, createPricer } from '../pricing/index.js';
import { GENAI_CATALOGS } from '../telemetry/genai-providers.js';
import { type ClassRates, type FocusContext, type TokenClass, quantities } from './charges.js';
import { focusVendor } from './vendors.js';

type Pricer = ReturnType<typeof createPricer>;

/** OpenTelemetry's names for Vertex AI (`gen_ai.provider.name`, or the older `gen_ai.system`). */
const VERTEX_NAMES = ['gcp.vertex_ai', 'vertex_ai'];

/** A configured provider at Vertex AI's address (`…aiplatform.googleapis.com`). */
function atVertex(baseUrl: string): boolean {
  try {
    return /(^|[.-])aiplatform\.googleapis\.com$/.test(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

const ONE: Record<Exclude<TokenClass, 'request'>, Partial<Usage>> = {
  input: { inputTokens: 1 },
  cache_read: { inputTokens: 1, cacheReadTokens: 1 },
  cache_write_5m: { inputTokens: 1, cacheWriteTokens: 1 },
  cache_write_1h: { inputTokens: 1, cacheWriteTokens: 1, cacheWrite1hTokens: 1 },
  output: { outputTokens: 1 },
};

/**
 * What the FOCUS export needs from the config: vendors recognised from each provider's
 * base URL (or its `catalog`) and the model's name (vendors.ts), list prices per token class from the same pricer the gateway
 * uses (overrides, catalog, supplement) without the discount, and each row's cost at public list
 * price (the catalog alone at the row's date and service tier: no overrides, no discount; for a
 * model only an override prices, that override's price, without the discount).
 */
export function focusContext(config: Pick<Config, 'providers' | 'pricing'>): FocusContext {
  const catalog = new Map<string, string | undefined>([...Object.entries(GENAI_CATALOGS), ...config.providers.map((p) => [p.name, catalogProviderFor(p.baseUrl, p.catalog)] as const)]);
  // A provider no longer configured may still be in the ledger: treat its name as a catalog id.
  const catalogOf = (provider: string) => (catalog.has(provider) ? catalog.get(provider) : provider || undefined);
  const vertex = new Set([...VERTEX_NAMES, ...config.providers.filter((p) => atVertex(p.baseUrl)).map((p) => p.name)]);
  const price = createPricer({ overrides: config.pricing.overrides, fastMode: config.pricing.fastMode });
  // List price: the catalog alone, no overrides (negotiated) and no discounts; fast mode's premium
  // where the catalog does not publish it is the configured one, which stands in for a public price.
  const list = createPricer({ fastMode: config.pricing.fastMode });
  return {
    vendorOf(provider, model) {
      const id = catalogOf(provider);
      return { ...focusVendor(id, provider || 'Unknown', model, vertex.has(provider)), sku: id ?? (provider || 'unknown') };
    },
    ratesOf: ratesBy(price, catalogOf),
    // An override is a negotiated price, and its proportions between classes are not the list's.
    listRatesOf: ratesBy(list, catalogOf),
    listOf(row: LedgerRow) {
      // At the row's tier: a flex or batch row's list price is half the standard one, a priority row's twice.
      const priced = { provider: row.provider, catalogProvider: catalogOf(row.provider), model: row.model, at: new Date(row.ts), ...pricedAtTier(counts(row), row.serviceTier) };
      // A model no catalog lists but an override prices: the override is the only price list there
      // is, so the list is its price before the provider's discount, which ListCost must not include.
      return list(priced).costPicos ?? price(priced).costPicos ?? undefined;
    },
  };
}

/** Each token class's price at a row's model, date and tier from `price`, as weights; undefined when unpriced. */
function ratesBy(price: Pricer, catalogOf: (provider: string) => string | undefined): (row: LedgerRow) => ClassRates | undefined {
  const rates = new Map<string, Record<TokenClass, Picos> | undefined>();
  return (row) => {
    const at = new Date(row.ts);
    const q = (usage: Partial<Usage>) => price({ provider: row.provider, catalogProvider: catalogOf(row.provider), model: row.model, at, ...pricedAtTier({ ...zeroUsage(), ...usage }, row.serviceTier) }).costPicos;
    // Prices change by date and tier; one lookup per provider, model, tier and UTC day.
    const key = `${row.provider}\u0000${row.model}\u0000${row.serviceTier ?? ''}\u0000${Math.floor(row.ts / 86_400_000)}`;
    let base = rates.get(key);
    if (!rates.has(key)) {
      const fee = q({});
      if (fee !== null) {
        base = { request: fee } as Record<TokenClass, Picos>;
        for (const [c, usage] of Object.entries(ONE)) base[c as TokenClass] = (q(usage) ?? fee) - fee;
      }
      rates.set(key, base);
    }
    return base && atTier(row, base, q);
  };
}

function counts(r: LedgerRow): Usage {
  return { inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens, cacheWrite1hTokens: r.cacheWrite1hTokens, outputTokens: r.outputTokens, reasoningTokens: r.reasoningTokens, toolCalls: r.toolCalls };
}

/**
 * The rates of a row's own tier: a long-context tier is chosen on the request's whole input and
 * reprices all of it, so a row past the threshold is weighed at that tier's rates, not the base
 * ones. Its counts priced as they are cost what the base rates say unless it is past one; only then
 * are the tier's rates read, each for the row's whole input (`T` tokens), so all are `T` times a
 * rate (the same factor throughout: only the proportions matter).
 */
function atTier(row: LedgerRow, base: Record<TokenClass, Picos>, q: (usage: Partial<Usage>) => Picos | null): ClassRates {
  const T = row.inputTokens;
  if (T <= 0) return base;
  const counts = { inputTokens: T, cacheReadTokens: row.cacheReadTokens, cacheWriteTokens: row.cacheWriteTokens, cacheWrite1hTokens: row.cacheWrite1hTokens, outputTokens: row.outputTokens };
  const n = quantities(row);
  const atBase = base.request + BigInt(n.input) * base.input + BigInt(n.cache_read) * base.cache_read + BigInt(n.cache_write_5m) * base.cache_write_5m + BigInt(n.cache_write_1h) * base.cache_write_1h + BigInt(n.output) * base.output;
  if (q(counts) === atBase) return base;
  const fee = base.request;
  const plain = q({ inputTokens: T });
  const withOutput = q({ inputTokens: T, outputTokens: 1 });
  if (plain === null || withOutput === null) return base;
  const at = (usage: Partial<Usage>) => (q({ inputTokens: T, ...usage }) ?? fee) - fee;
  const t = BigInt(T);
  const input = plain - fee;
  return {
    request: fee * t,
    input,
    cache_read: at({ cacheReadTokens: T }),
    cache_write_5m: at({ cacheWriteTokens: T }),
    cache_write_1h: at({ cacheWriteTokens: T, cacheWrite1hTokens: T }),
    output: (withOutput - plain) * t,
    // A price of its own only where the threshold changed the input's rate.
    longContext: input !== base.input * t,
  };
}
