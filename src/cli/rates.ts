import type { Config } from '../config/index.js';
import { type RateBook, catalogProviderFor, createPricer, rateBook } from '../pricing/index.js';
import { GENAI_CATALOGS } from '../telemetry/genai-providers.js';

/** The config's prices as a rate book (overrides, discounts and the catalog), for detectors and `explain`. */
export function configRateBook(config: Config): RateBook {
  const pricer = createPricer(config.pricing);
  return rateBook(pricer, ledgerCatalogs(config.providers.map((p) => ({ name: p.name, catalog: catalogProviderFor(p.baseUrl, p.catalog) }))));
}

/**
 * The catalog id of each provider name the ledger may hold: the configured providers', and the
 * names rows from OpenTelemetry spans keep (`gcp.gemini` is Google's); any other name is taken
 * as a catalog id.
 */
export function ledgerCatalogs(configured: readonly { name: string; catalog: string | undefined }[]): Record<string, string | undefined> {
  return { ...GENAI_CATALOGS, ...Object.fromEntries(configured.map((p) => [p.name, p.catalog])) };
}
