import { shownUrl } from '../core/url-text.js';

interface PricedProvider {
  name: string;
  baseUrl: string;
  /** The catalog provider, as resolved from `base_url` or named by `providers[].catalog`. */
  catalog: string | undefined;
}

/**
 * A line for each provider no price can reach for sure: the catalog does not recognise it, none
 * is named, and no override names it. Overrides without a provider price any provider's models
 * their glob matches, so the line then names those globs instead of saying nothing is priced.
 */
export function unpricedNotices(providers: readonly PricedProvider[], overrides: readonly { model: string; provider?: string | undefined }[]): string[] {
  const anyProvider = overrides.filter((o) => o.provider === undefined).map((o) => o.model);
  const fix = "providers[].catalog names the catalog's provider (openai, anthropic, google, …) or pricing.overrides price its models";
  return providers
    .filter((p) => p.catalog === undefined && !overrides.some((o) => o.provider === p.name))
    .map((p) => {
      const head = `Unpriced: the price catalog does not know provider "${p.name}" (${shownUrl(p.baseUrl)});`;
      if (anyProvider.length === 0) return `${head} its requests are recorded without a cost until ${fix}.`;
      return `${head} only its models that match a pricing override without a provider (${anyProvider.join(', ')}) get a cost; the others are recorded without one until ${fix}.`;
    });
}
