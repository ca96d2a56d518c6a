import { DIALECTS } from '../core/api.js';
import { zeroUsage } from '../core/usage.js';
import type { ProviderTable } from '../gateway/select-provider.js';
import type { PriceFn } from '../metering/build-row.js';
import type { Budget } from '../policy/rules.js';

/**
 * A line for each budget whose downgrade target no request can get: no provider would serve it in
 * any dialect, or none that would has a price for it (a downgrade applies only where the target is
 * priced below the model asked for, docs/budgets.md#downgrades), so the budget never downgrades.
 */
export function downgradeNotices(budgets: readonly Budget[], providers: ProviderTable, price: PriceFn, at: Date): string[] {
  const lines: string[] = [];
  for (const b of budgets) {
    if (!b.downgrade) continue;
    const to = b.downgrade.to;
    const where = DIALECTS.flatMap((dialect) => {
      try {
        return [providers.target(dialect, to, undefined)];
      } catch {
        return [];
      }
    });
    const named = `Budgets: "${b.id}" downgrades to ${to}`;
    if (where.length === 0) {
      lines.push(`${named}, which no provider serves: it never applies (docs/budgets.md#downgrades).`);
      continue;
    }
    const usage = { ...zeroUsage(), inputTokens: 1_000_000, outputTokens: 1_000_000 };
    if (where.some((p) => price({ provider: p.name, catalogProvider: p.catalog, model: to, usage, at }).costPicos !== null)) continue;
    const names = [...new Set(where.map((p) => `"${p.name}"`))].join(', ');
    lines.push(`${named}, which has no price at the providers that would serve it (${names}): it never applies. Check the model’s name, or price it with pricing.overrides (docs/budgets.md#downgrades).`);
  }
  return lines;
}
