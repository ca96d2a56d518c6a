import type { Config } from '../config/index.js';
import { type RateBook, catalogProviderFor, createPricer, rateBook } from '../pricing/index.js';

/** The config's prices as a rate book (overrides, discounts and the catalog), for detectors and `explain`. */
export function configRateBook(config: Config): RateBook {
  const pricer = createPricer(config.pricing);
  return rateBook(pricer, Object.fromEntries(config.providers.map((p) => [p.name, catalogProviderFor(p.baseUrl, p.catalog)])));
}
