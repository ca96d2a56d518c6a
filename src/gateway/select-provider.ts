import { DIALECTS, type Dialect } from '../core/api.js';
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
  /**
   * The provider a routing rule's target or a budget's downgrade would be served by: as `select`,
   * but throwing where that provider only takes the model's name (see `TableOptions.catalogPrices`).
   */
  target(dialect: Dialect, model: string, explicitName: string | undefined): UpstreamProvider;
  byName(name: string): UpstreamProvider | undefined;
  readonly all: readonly UpstreamProvider[];
}

/**
 * The provider that serves a request: `/p/{name}` names one explicitly; otherwise the first
 * provider of the route's dialect (or translating from it, `translate_from`) whose model globs
 * match; else the first of the dialect's own providers (or, when it has none, of those
 * translating from it) without globs, which serves any model; else the first of those, though
 * its globs leave the model out (`unmatchedModelNotices` says so at start). Among those without
 * globs, one that serves the model comes before one that only takes its name (see `target`). A
 * provider of another dialect means the exchange is translated.
 */
export function providerTable(providers: readonly UpstreamProvider[], o: TableOptions = {}): ProviderTable {
  const matchers = new Map(providers.map((p) => [p, p.models ? compileGlobs(p.models) : undefined]));
  const namesOnly = namesOnlyTest(o.catalogPrices);
  // A provider taking any model name, the first that serves the model rather than only take its name
  // (then, among those translating from the dialect too); else the first.
  const openFor = (open: readonly UpstreamProvider[], candidates: readonly UpstreamProvider[], model: string) =>
    open.find((p) => !namesOnly(p, model)) ?? candidates.find((p) => p.models === undefined && !namesOnly(p, model)) ?? open[0];
  const table: ProviderTable = {
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
      const rest = fallbacks(candidates, dialect);
      const open = rest.filter((p) => p.models === undefined);
      const chosen = byGlob ?? (open.length > 0 ? openFor(open, candidates, model) : rest[0]);
      if (!chosen) throw new GatewayError('no_provider', `No ${dialect} provider is configured.`);
      return chosen;
    },
    target(dialect, model, explicitName) {
      const p = table.select(dialect, model, explicitName);
      if (namesOnly(p, model)) throw new GatewayError('no_provider', `Provider "${p.name}" takes any model name, but does not serve ${model}: the price catalog sells it as another vendor's model.`);
      return p;
    },
  };
  return table;
}

export interface TableOptions {
  /** Whether the pricing catalog prices the model under this catalog provider id, config's overrides aside. */
  catalogPrices?: (catalog: string, model: string) => boolean;
}

/** The catalog provider whose own models each dialect's API serves. */
const VENDOR: Readonly<Record<Dialect, string>> = { openai: 'openai', anthropic: 'anthropic', gemini: 'google' };
const VENDORS = Object.values(VENDOR);

/**
 * Whether a provider without `models` only takes a model's name rather than serves it: the
 * catalog sells the model as a vendor's own (OpenAI's, Anthropic's or Google's), and not under
 * the provider's catalog (else its dialect's vendor). An override that names no provider prices
 * a model at every provider, so a price alone would send `gpt-5-mini` to Anthropic. A model no
 * vendor's catalog has (a local model) is served by any. Google's catalog prices Claude as Vertex
 * AI sells it, through Vertex's Anthropic-format endpoint; Gemini's `generateContent` serves only
 * Google's own models, so a Gemini provider does not serve one Anthropic's catalog lists.
 */
function namesOnlyTest(prices: TableOptions['catalogPrices']): (p: UpstreamProvider, model: string) => boolean {
  if (!prices) return () => false;
  // Asked for each request's model on the way to a provider: answers are kept (a few microseconds each otherwise).
  const known = new Map<UpstreamProvider, Map<string, boolean>>();
  return (p, model) => {
    if (p.models !== undefined) return false;
    let answers = known.get(p);
    if (answers === undefined) known.set(p, (answers = new Map<string, boolean>()));
    let hit = answers.get(model);
    if (hit === undefined) {
      const own = p.catalog ?? VENDOR[p.dialect];
      hit = (p.dialect === 'gemini' && prices('anthropic', model)) || (!prices(own, model) && VENDORS.some((v) => v !== own && prices(v, model)));
      if (answers.size > 10_000) answers.clear();
      answers.set(model, hit);
    }
    return hit;
  };
}

/** Who may take a model no globs match: the dialect's own providers, or when there are none, those translating from it. */
function fallbacks<P extends Chosen>(candidates: readonly P[], dialect: Dialect): readonly P[] {
  const own = candidates.filter((p) => p.dialect === dialect);
  return own.length > 0 ? own : candidates;
}

/**
 * Dialects whose every provider lists `models`: a model none of their globs match still goes to
 * the first of them, which may not serve it (and sent with a key meant for other models, or none).
 */
export function unmatchedModelNotices(providers: readonly Chosen[]): string[] {
  const lines: string[] = [];
  for (const dialect of DIALECTS) {
    const candidates = providers.filter((p) => p.dialect === dialect || serves(p, dialect));
    const rest = fallbacks(candidates, dialect);
    const first = rest[0];
    if (first === undefined || rest.some((p) => p.models === undefined)) continue;
    const whose = first.dialect !== dialect ? `provider translating from ${dialect}` : `${dialect} provider`;
    lines.push(
      `Providers: every ${whose} lists models, so ${dialect} requests for a model no globs match go to "${first.name}" (models: ${first.models!.join(', ') || 'none'}). Add one without models to serve the rest (docs/configuration.md#choosing-the-provider).`,
    );
  }
  return lines;
}

/** What the choice reads of a provider. */
type Chosen = Pick<UpstreamProvider, 'name' | 'dialect' | 'models' | 'translateFrom'>;

function serves(p: Chosen, dialect: Dialect): boolean {
  return p.translateFrom?.includes(dialect) ?? false;
}
