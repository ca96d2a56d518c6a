import { isModel } from './model-id.js';

/**
 * Price multipliers the response reports, by catalog provider. The catalog quotes
 * standard-tier prices only. Modelled: OpenAI `flex` (0.5x), `priority` (2x, which is also
 * what `fast` is reported as) and `ultrafast` (3x, 6x from 2027-03-01), Anthropic and Gemini `batch`
 * (0.5x), Anthropic fast mode where its premium is known, `inference_geo: "us"` on Opus
 * 4.6 and later (1.1x), and Gemini's priority and Flex tiers where their price is published (GEMINI_PRIORITY, GEMINI_FLEX).
 * OpenAI `scale` is billed as prepaid bundles, not by the token: its rows stay at list price (docs/pricing.md).
 */
const MULTIPLIERS: Record<string, Record<string, string | ((at: Date) => string)>> = {
  // `fast` is the name of `priority` in requests; an answer relayed by a proxy may carry it as sent.
  openai: { flex: '0.5', priority: '2', fast: '2', batch: '0.5', ultrafast: (at) => (at < ULTRAFAST_DOUBLES ? '3' : '6') },
  anthropic: { batch: '0.5' },
  // Gemini's Batch API (protocols.md §6.3); the catalog's id for Gemini is `google`, `gemini` its alias.
  google: { batch: '0.5' },
  gemini: { batch: '0.5' },
};

/** protocols.md §6.1: `ultrafast` is 3x until 2027-02-28, then 6x. */
const ULTRAFAST_DOUBLES = new Date('2027-03-01T00:00:00Z');

/** `model`: the model priced, for a tier whose premium is the model's own (Gemini priority). */
export function tierMultiplier(provider: string | undefined, serviceTier: string | undefined, at: Date = new Date(), model?: string): string | undefined {
  if (!provider || !serviceTier) return undefined;
  const tier = serviceTier.toLowerCase();
  if ((provider === 'google' || provider === 'gemini') && GEMINI_PRIORITY_NAMES.has(tier)) return geminiPriority(model);
  if ((provider === 'google' || provider === 'gemini') && GEMINI_FLEX_NAMES.has(tier)) return byPrefix(GEMINI_FLEX, model);
  const m = MULTIPLIERS[provider]?.[tier];
  return typeof m === 'function' ? m(at) : m;
}

/**
 * What Gemini reports for its priority tier: the Gemini API's `usageMetadata.serviceTier` and an
 * interaction's `service_tier` (`priority`), Vertex AI's `usageMetadata.trafficType`
 * (`ON_DEMAND_PRIORITY`), and the request's spelling `SERVICE_TIER_PRIORITY` relayed as sent.
 */
const GEMINI_PRIORITY_NAMES: ReadonlySet<string> = new Set(['priority', 'on_demand_priority', 'service_tier_priority']);

/**
 * Gemini's priority premium where a source gives it: 1.8x on Gemini 3.7 Flash and 3.8 Flash, the
 * catalog's own note on them (@pydantic/genai-prices `price_comments`: "Priority tier is 1.8x",
 * citing ai.google.dev/gemini-api/docs/pricing), matched by prefix as the catalog matches them.
 * No source gives it for another model (protocols.md §6.3 has none): priced at standard there.
 */
const GEMINI_PRIORITY: readonly { id: string; multiplier: string }[] = [
  { id: 'gemini-3.7-flash', multiplier: '1.8' },
  { id: 'gemini-3.8-flash', multiplier: '1.8' },
];

function geminiPriority(model: string | undefined): string | undefined {
  return byPrefix(GEMINI_PRIORITY, model);
}

/** What the Gemini API reports for its Flex tier (`usageMetadata.serviceTier`, the SDK's ServiceTier `flex`), or the request's spelling relayed. */
const GEMINI_FLEX_NAMES: ReadonlySet<string> = new Set(['flex', 'service_tier_flex']);

/**
 * Gemini's Flex discount where a source gives it: half price on Gemini 3.5 Flash-Lite, 3.6, 3.7 and
 * 3.8 Flash, the catalog's own note on them (@pydantic/genai-prices `price_comments`: "Batch and Flex
 * tiers offer 50% discount", citing ai.google.dev/gemini-api/docs/pricing). No source gives it for
 * another model, nor for Vertex AI's `ON_DEMAND_FLEX`: priced at standard there.
 */
const GEMINI_FLEX: readonly { id: string; multiplier: string }[] = [
  { id: 'gemini-3.5-flash-lite', multiplier: '0.5' },
  { id: 'gemini-3.6-flash', multiplier: '0.5' },
  { id: 'gemini-3.7-flash', multiplier: '0.5' },
  { id: 'gemini-3.8-flash', multiplier: '0.5' },
];

function byPrefix(table: readonly { id: string; multiplier: string }[], model: string | undefined): string | undefined {
  const m = model?.toLowerCase().replace(/^models\//, '');
  return m === undefined ? undefined : table.find((p) => m.startsWith(p.id))?.multiplier;
}

/**
 * Anthropic fast mode's premium where it is published: Opus 5.5 at 8/40 against 4/20 and Opus
 * 4.8 at 10/50 against 5/25 (protocols.md §6.2); Opus 4.6 at 6x (usage-formats.md §1.8: $30 for
 * a million input tokens).
 */
const ANTHROPIC_FAST: readonly { id: string; multiplier: string }[] = [
  { id: 'claude-opus-5-5', multiplier: '2' },
  { id: 'claude-opus-4-8', multiplier: '2' },
  { id: 'claude-opus-4-6', multiplier: '6' },
];

/**
 * The multiplier of Anthropic's `speed` as a usage reports it: undefined at standard speed;
 * for fast mode, the configured premium (`pricing.fast_mode`), else the published one, else null:
 * the cost is then unknown too (the premium is model-specific, and guessing it would be pricing
 * by a look-alike).
 */
export function speedMultiplier(provider: string | undefined, model: string, speed: string | undefined, configured?: (model: string) => string | undefined): string | null | undefined {
  if (provider !== 'anthropic' || speed !== 'fast') return undefined;
  return configured?.(model) ?? ANTHROPIC_FAST.find((f) => isModel(model, f.id))?.multiplier ?? null;
}

/** Opus 4.6 and later bill 1.1x when run in the US only (`inference_geo: "us"`, §3.10). */
export function geoMultiplier(provider: string | undefined, model: string, inferenceGeo: string | undefined): string | undefined {
  if (provider !== 'anthropic' || inferenceGeo?.toLowerCase() !== 'us') return undefined;
  const v = /^claude-opus-(\d+)(?:-(\d{1,2})(?!\d))?/.exec(model.toLowerCase());
  if (!v) return undefined;
  const [major, minor] = [Number(v[1]), Number(v[2] ?? 0)];
  return major > 4 || (major === 4 && minor >= 6) ? '1.1' : undefined;
}
