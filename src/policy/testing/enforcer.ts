import { silentLogger } from '../../core/logger.js';
import type { PriceFn } from '../../metering/build-row.js';
import { MemoryCounters } from '../counters/memory.js';
import { Enforcer } from '../enforcer.js';
import { budgetCounter } from '../plan.js';
import { budgetInput, parseRule, toBudget } from '../rule-input.js';
import type { Budget, ModelPolicy, RateLimit, RuleSet } from '../rules.js';
import { DEFAULT_POLICY_SETTINGS } from '../settings.js';
import { type PolicyEvents, noEvents } from '../threshold-watch.js';

// An enforcer on in-memory counters, for the policy's unit tests.

/** $1 per 1,000 tokens in and out, so a 100-byte request with max_tokens 100 is estimated at $0.20. */
export const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens + r.usage.outputTokens) * 1_000_000_000n, unpriced: false });
export const settings = { ...DEFAULT_POLICY_SETTINGS, timeZone: 'Europe/Berlin' };

export function setup(budgets: Budget[], clock: { now: number }, events: PolicyEvents = noEvents, rateLimits: RateLimit[] = [], modelPolicies: ModelPolicy[] = [], priceFn: PriceFn = price) {
  const rules: RuleSet = { budgets, rateLimits, modelPolicies, increases: [] };
  const counters = new MemoryCounters();
  const enforcer = new Enforcer({
    rules: () => rules,
    counters,
    price: priceFn,
    fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }),
    events,
    settings,
    log: silentLogger,
    now: () => clock.now,
  });
  const read = async (b: Budget) => (await counters.read([budgetCounter(settings.keyPrefix, b, rules, clock.now, settings.timeZone).line]))[0]!;
  return { enforcer, read, counters };
}

export const budget = (input: Record<string, unknown>) => toBudget(parseRule(budgetInput, input), 'budget', 'api', 0);
