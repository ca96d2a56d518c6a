import type { LedgerRow } from '../../core/ledger-row.js';
import type { Picos } from '../../core/money.js';
import { pricedAtTier } from '../../core/service-tier.js';
import { usageOf } from '../../core/usage.js';
import type { PriceFn } from '../../metering/build-row.js';
import type { RouteMode } from './rule.js';

/** The model a routed request is compared with, and where it would have been served. */
export interface Counterpart {
  model: string;
  provider: string;
  catalogProvider: string | undefined;
}

/**
 * The saving of a routed request, in picodollars, from its metered usage priced twice.
 * Enforced: what the usage would have cost at the model the client asked for, minus
 * what it cost. Shadow: what it cost minus what it would have cost at the rule's model.
 * Both are estimates in one respect: another model would have tokenised and answered
 * differently. Null when either side has no price. Negative when routing costs more.
 */
export function routeSaving(mode: RouteMode, row: LedgerRow, other: Counterpart, price: PriceFn): Picos | null {
  if (row.costPicos === null) return null;
  const usage = usageOf(row);
  if (usage.inputTokens + usage.outputTokens === 0) return 0n;
  // At the row's own tier: a flex request compared with the other model at its standard price showed a saving it never made.
  const alt = price({ provider: other.provider, catalogProvider: other.catalogProvider, model: other.model, at: new Date(row.ts), ...pricedAtTier(usage, row.serviceTier) });
  if (alt.costPicos === null) return null;
  return mode === 'enforce' ? alt.costPicos - row.costPicos : row.costPicos - alt.costPicos;
}

/**
 * The saving of an enforced request the model the client asked for served, its tries from attempt
 * `from` on, once the rule's target failed: none, less what the failed tries to the target cost
 * (usually nothing: an error answer is not billed). Null when one of those is unpriced.
 */
export function fellBackSaving(row: LedgerRow, from: number): Picos | null {
  let lost = 0n;
  for (const a of row.attemptLog ?? []) {
    if (a.n >= from) continue;
    if (a.costPicos === null) return null;
    lost += a.costPicos;
  }
  return -lost;
}
