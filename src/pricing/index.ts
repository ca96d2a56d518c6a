import { catalogModel } from './catalog.js';
import { type PriceAnswer, type PriceQuery, type PricerOptions, pricerWith } from './pricer.js';

export { catalogProviderFor } from './catalog.js';
export { costOf } from './cost.js';
export { type CatalogLookup, type PriceAnswer, type PriceOverrideInput, type PriceQuery, type PricerOptions, pricerWith } from './pricer.js';
export { type Rates, flatRates, ratesFromCatalog } from './rates.js';
export { type RateBook, type TokenRates, rateBook } from './unit-rates.js';

/** The pricer over the whole catalog (see pricerWith). */
export function createPricer(o: PricerOptions = {}): (q: PriceQuery) => PriceAnswer {
  return pricerWith(catalogModel, o);
}
