import type { GatewayError } from '../core/errors.js';
import type { Planned } from './plan.js';
import { countersDown } from './refusal.js';
import type { Budget, RateLimit } from './rules.js';
import { formatScope } from './scope.js';

/**
 * The refusal of a request while the counters do not answer, when a rule set `fail: closed`
 * bears on it: a budget or rate limit that applies, or a pool that may pay for the request
 * (one its budgets draw on and whose scope it matches). Which of them would have been charged
 * cannot be known without the counters, so a pool set closed refuses as its budgets would.
 */
export function closedRefusal(budgets: readonly Budget[], limits: readonly RateLimit[], planned: Planned): GatewayError | undefined {
  const pools = planned.pools.filter((p): p is Budget => p !== null);
  const closed = [...budgets, ...pools, ...limits].find((r) => r.fail === 'closed');
  return closed && countersDown(closed.id, formatScope(closed.scope));
}
