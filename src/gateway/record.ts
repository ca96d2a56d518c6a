import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { type PriceFn, type RequestFacts, buildRow } from '../metering/build-row.js';
import type { RulePlan } from '../routing/rules/plan.js';
import { fellBackSaving, routeSaving } from '../routing/rules/saving.js';

/** The requests in flight, journaled so that a crash still leaves each a row (metering/open-requests.ts). */
export interface OpenJournal {
  /** The request is going upstream; `facts.inputEstimate` gives its input tokens should it never finish. */
  add(facts: RequestFacts): void;
  closed(facts: RequestFacts): void;
}

export interface RecordDeps {
  price: PriceFn;
  ledger: { record(row: LedgerRow): void };
  log: Logger;
  open?: OpenJournal;
}

/** Builds and hands over a request's ledger row. Pricing must never cost the row: it is then recorded unpriced. */
export function record(deps: RecordDeps, facts: RequestFacts, route: RulePlan | undefined): LedgerRow {
  deps.open?.closed(facts);
  let row: LedgerRow;
  try {
    row = buildRow(facts, deps.price);
    // Served by the model asked for after the rule's target failed: no saving is claimed for it.
    if (facts.ruleFallbackAt !== undefined) row.routeSavingPicos = fellBackSaving(row, facts.ruleFallbackAt);
    else if (route?.counterpart) row.routeSavingPicos = routeSaving(route.mode, row, route.counterpart, deps.price);
  } catch (err) {
    deps.log.error('pricing failed; recording the row unpriced', { id: facts.id, err: String(err) });
    row = buildRow(facts, () => ({ costPicos: null, unpriced: true }));
  }
  deps.ledger.record(row);
  return row;
}
