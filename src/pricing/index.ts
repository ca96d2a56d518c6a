export { catalogProviderFor } from './catalog.js';
export { costOf } from './cost.js';
export { type PriceAnswer, type PriceOverrideInput, type PriceQuery, type PricerOptions, createPricer } from './pricer.js';
export { type Rates, flatRates, ratesFromCatalog } from './rates.js';
export { type RateBook, type TokenRates, rateBook } from './unit-rates.js';
