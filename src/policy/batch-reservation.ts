import type { Picos } from '../core/money.js';
import { once } from '../core/once.js';
import type { BatchAdmission, BatchAdmitRequest } from './admission.js';
import { budgetParts } from './batch-estimate.js';
import type { Settlement } from './counters/port.js';
import type { EnforcerDeps } from './enforcer.js';
import type { CostedEstimate, PriceContext } from './estimate.js';
import type { Opened, Reserve, Reserved } from './holding.js';
import { refuseBatchModel } from './model-rules.js';
import { applicableBudgets } from './plan.js';
import { remainingHeader } from './remaining-header.js';
import type { Hold } from './settle-holds.js';

/** What a batch's reservation takes from its Enforcer. */
export interface BatchDeps {
  d: Pick<EnforcerDeps, 'rules' | 'price' | 'settings'>;
  now: () => number;
  costOf: (e: CostedEstimate, pc: PriceContext) => Picos;
  reserve: Reserve;
  stats: { refused: number; admitted: number };
  settleHolds: (holds: readonly Hold[], items: Settlement[]) => Promise<void>;
}

/**
 * A batch's creation: refuses a model that model policy does not allow as asked (a batch's
 * requests are not rewritten), then reserves the batch's estimated cost, at the batch price,
 * on every budget that applies to any of its models (a budget that covers several holds their
 * sum), all or nothing. Rate limits do not apply: the provider runs a batch over hours. The
 * holds go when the creation's row is recorded (`settle`); the requests are charged as their
 * results are billed.
 */
export async function reserveBatch(e: BatchDeps, req: BatchAdmitRequest): Promise<BatchAdmission> {
  const rules = e.d.rules();
  for (const t of req.totals) refuseBatchModel(rules.modelPolicies, req.caller, t.model);
  const now = e.now();
  const { served } = req;
  const models = req.totals.map((t) => {
    const pc: PriceContext = { price: e.d.price, provider: served.provider, catalogProvider: served.catalogProvider, model: t.model, at: new Date(now), serviceTier: 'batch' };
    const budgets = applicableBudgets(rules, { ...req.caller, model: t.model, provider: served.provider });
    return { model: t.model, budgets, cost: e.costOf(t, pc), tokens: t.inputTokens + t.outputTokens };
  });
  const holds: { id: string; r: Reserved | Opened }[] = [];
  const release = () => e.settleHolds(holds, holds.map((x) => ({ id: x.id, actual: 0n, tokens: 0 })));
  for (const [k, part] of budgetParts(models).entries()) {
    const id = k === 0 ? req.id : `${req.id}~b${k}`;
    const fixed = { cost: part.cost, tokens: part.tokens };
    const got = await e.reserve({ id, caller: req.caller, bodyBytes: 0, json: undefined, maxOutputTokens: undefined }, rules, part.model, served, now, { id, budgets: part.budgets, limits: [], enforce: false, pricedAs: part.model, fixed });
    if (got.kind === 'refused') {
      e.stats.refused++;
      await release();
      got.alert();
      throw got.error;
    }
    if (got.kind !== 'free') holds.push({ id, r: got });
  }
  e.stats.admitted++;
  const reserved = holds.flatMap((x) => (x.r.kind === 'reserved' ? [x.r] : []));
  const remaining = remainingHeader(reserved, e.d.settings.showAmounts);
  return { headers: remaining ? { 'x-tollgate-budget-remaining': remaining } : {}, settle: once(() => void release()) };
}
