import type { DroppedTier } from '../pricing/index.js';

/** Tiers told in full in one line; the models past them are named. */
const DETAILED = 3;
const NAMED = 10;

/**
 * A line for each override without `long_context` that replaces a price with a long-context tier
 * (pricing/dropped-tiers.ts): every request it prices is billed at its flat prices, however long.
 * The line names the override's glob and the tier it drops: the boundary and each price, short →
 * long, in USD per million tokens (the first few models in full, the rest by name).
 */
export function tierNotices(dropped: readonly DroppedTier[]): string[] {
  const byOverride = new Map<number, DroppedTier[]>();
  for (const d of dropped) byOverride.set(d.index, [...(byOverride.get(d.index) ?? []), d]);
  return [...byOverride].map(([index, tiers]) => {
    const told = tiers.slice(0, DETAILED).map((t) => `${t.model} (${t.catalog}) above ${t.above} input tokens: ${t.prices.map((p) => `${p.name} ${p.short} → ${p.long}`).join(', ')}`);
    const rest = tiers.slice(DETAILED).map((t) => t.model);
    const more = rest.length === 0 ? '' : `; also the tiers of ${rest.slice(0, NAMED).join(', ')}${rest.length > NAMED ? ` and ${rest.length - NAMED} more` : ''}`;
    const what = tiers.length === 1 ? 'the long-context tier' : 'the long-context tiers';
    return `Pricing: override "${tiers[0]!.glob}" (pricing.overrides[${index}]) has no long_context, so every request it prices is billed at its flat prices, however long: it drops ${what} of ${told.join('; ')}${more}. Give it long_context (docs/pricing.md).`;
  });
}
