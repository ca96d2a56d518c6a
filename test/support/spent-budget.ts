import OpenAI from 'openai';
import { expect } from 'vitest';
import type { Picos } from '../../src/core/money.js';
import type { Budget } from '../../src/policy/rules.js';
import { createPricer } from '../../src/pricing/index.js';
import type { Scenario } from '../fake-upstream/index.js';
import { type Harness, counterOn, eventually, startHarness } from './harness.js';

/**
 * A gateway at the catalog's prices with one budget already partly spent, and an OpenAI SDK client
 * on it: `first` is what the upstream answers the request `spend` makes, which must bring the budget's
 * counter to `spent`; every later request is answered with `then`.
 */
export async function startSpentBudget(budget: Budget, first: Scenario, spend: (client: OpenAI) => Promise<unknown>, spent: Picos, then: Scenario): Promise<{ h: Harness; client: OpenAI }> {
  const h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
  const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  h.fake.setDefault(first);
  await spend(client);
  await eventually(async () => expect((await counterOn(h.tollgate, budget)).spent).toBe(spent));
  h.fake.setDefault(then);
  return { h, client };
}
