import type { Usage } from './usage.js';

/**
 * A ledger row's `service_tier`: the tier a request was priced at, as one short text, null at the
 * standard price. It is what the provider reported serving (OpenAI `service_tier`: `flex`,
 * `priority`, `scale`, `ultrafast`…; `batch` for a batch's requests; Anthropic's `priority` or
 * `batch`; Gemini's `serviceTier` or Vertex AI's `trafficType` such as `ON_DEMAND_PRIORITY`), then `fast` for Anthropic's fast
 * mode and `us` for its US-only inference (`inference_geo`), joined by `+` (`batch+us`): every
 * modifier the pricer applies, so that a row can be priced again at its own tier (docs/ledger.md).
 */
export type ServiceTier = string | null;

/** What providers report for the standard tier: a row records null for them. */
const STANDARD = new Set(['default', 'standard', 'auto', 'ON_DEMAND', 'on_demand']);

export const FAST_MODE = 'fast';
export const US_ONLY = 'us';

/**
 * The row's tier from what the response reported. On the request path: a standard answer
 * (nearly every one) costs a set lookup and two comparisons, no string is built.
 */
export function rowTier(serviceTier: string | undefined, speed: string | undefined, inferenceGeo: string | undefined): ServiceTier {
  const tier = serviceTier === undefined || serviceTier === '' || STANDARD.has(serviceTier) ? null : serviceTier;
  const fast = speed === FAST_MODE && tier !== FAST_MODE;
  const us = inferenceGeo !== undefined && inferenceGeo.length === 2 && inferenceGeo.toLowerCase() === US_ONLY;
  if (!fast && !us) return tier;
  const parts = tier === null ? [] : [tier];
  if (fast) parts.push(FAST_MODE);
  if (us) parts.push(US_ONLY);
  return parts.join('+');
}

/** What the pricer reads of a tier (pricing/pricer.ts): the service tier, Anthropic's speed and inference geography. */
export interface TierModifiers {
  serviceTier: string | undefined;
  speed: string | undefined;
  inferenceGeo: string | undefined;
}

const NONE: TierModifiers = { serviceTier: undefined, speed: undefined, inferenceGeo: undefined };

/**
 * A row's tier back as the pricer's modifiers, so that its counts price as the request did
 * (FOCUS ListCost, a pushed log row priced again). `fast` is both OpenAI's name for priority
 * and Anthropic's fast mode: given as the service tier and as the speed, each provider's
 * pricing reads the one it knows.
 */
export function tierModifiers(tier: ServiceTier | undefined): TierModifiers {
  if (tier === null || tier === undefined || tier === '') return NONE;
  const parts = tier.split('+');
  const us = parts.some((p) => p.toLowerCase() === US_ONLY);
  return {
    serviceTier: parts[0]!.toLowerCase() === US_ONLY ? undefined : parts[0],
    speed: parts.includes(FAST_MODE) ? FAST_MODE : undefined,
    inferenceGeo: us ? US_ONLY : undefined,
  };
}

/** A usage and service tier to price at a row's tier: the usage itself when the tier names no speed or geography. */
export function pricedAtTier(usage: Usage, tier: ServiceTier | undefined): { usage: Usage; serviceTier: string | undefined } {
  const m = tierModifiers(tier);
  if (m.speed === undefined && m.inferenceGeo === undefined) return { usage, serviceTier: m.serviceTier };
  const u: Usage = { ...usage };
  if (m.speed !== undefined) u.speed = m.speed;
  if (m.inferenceGeo !== undefined) u.inferenceGeo = m.inferenceGeo;
  return { usage: u, serviceTier: m.serviceTier };
}
