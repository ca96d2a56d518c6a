import type { Dialect } from '../core/api.js';
import { GatewayError } from '../core/errors.js';
import { compileGlobs } from '../core/glob.js';

export interface UpstreamProvider {
  name: string;
  dialect: Dialect;
  /** Origin plus optional path prefix, no trailing slash. */
  baseUrl: string;
  apiKey: string | undefined;
  models: readonly string[] | undefined;
  headers: Readonly<Record<string, string>>;
  /** The pricing catalog's provider id, when known. */
  catalog: string | undefined;
  /** Client dialects this provider also serves, translated into its own (src/translation). */
  translateFrom?: readonly Dialect[];
  /** A hosted API (the price catalog knows it by its URL), which refuses a request without a key; a local server may need none. */
  keyRequired?: boolean;
}

export interface ProviderTable {
  select(dialect: Dialect, model: string, explicitName: string | undefined): UpstreamProvider;
  byName(name: string): UpstreamProvider | undefined;
  readonly all: readonly UpstreamProvider[];
}

/**
 * The provider that serves a request: `/p/{name}` names one explicitly; otherwise the
 * first provider of the route's dialect (or translating from it, `translate_from`) whose
 * model globs match, else the first provider of that dialect, else the first that
 * translates from it. A provider of another dialect means the exchange is translated.
 */
export function providerTable(providers: readonly UpstreamProvider[]): ProviderTable {
  const matchers = new Map(providers.map((p) => [p, p.models ? compileGlobs(p.models) : undefined]));
  return {
    all: providers,
    byName: (name) => providers.find((p) => p.name === name),
    select(dialect, model, explicitName) {
      if (explicitName !== undefined) {
        const p = providers.find((x) => x.name === explicitName);
        if (!p) throw new GatewayError('unknown_provider', `No provider named "${explicitName}" is configured.`);
        if (p.dialect !== dialect && !serves(p, dialect)) {
          throw new GatewayError('invalid_request', `Provider "${p.name}" speaks the ${p.dialect} API, not ${dialect}.`);
        }
        return p;
      }
      const candidates = providers.filter((p) => p.dialect === dialect || serves(p, dialect));
      const byGlob = model ? candidates.find((p) => matchers.get(p)?.(model)) : undefined;
      const chosen = byGlob ?? candidates.find((p) => p.dialect === dialect) ?? candidates[0];
      if (!chosen) throw new GatewayError('no_provider', `No ${dialect} provider is configured.`);
      return chosen;
    },
  };
}

function serves(p: UpstreamProvider, dialect: Dialect): boolean {
  return p.translateFrom?.includes(dialect) ?? false;
}
