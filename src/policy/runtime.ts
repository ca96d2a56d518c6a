import type { SignedLinks } from '../alerts/signed-link.js';
import type { BudgetForecast } from '../forecast/budgets.js';
import type { PolicyStore } from '../storage/ports.js';
import type { CounterInit, Counters } from './counters/port.js';
import type { DriftWatch } from './drift-watch.js';
import type { Enforcer } from './enforcer.js';
import type { IncreaseService } from './increases.js';
import type { BudgetCounter } from './plan.js';
import type { EndedRequests } from './reconcile.js';
import type { RuleBook } from './rule-book.js';
import type { RuleSet } from './rules.js';
import type { PolicySettings } from './settings.js';

/** Everything the admin API and `/me` need from spend controls, built once by the app. */
export interface PolicyRuntime {
  rules: RuleBook;
  store: PolicyStore;
  increases: IncreaseService;
  counters: Counters;
  settings: PolicySettings;
  enforcer: Enforcer;
  fromLedger(c: BudgetCounter, now: number): Promise<CounterInit>;
  /** Of these request ids, those with a row in the ledger (this process's write buffer flushed first), and their tokens. */
  endedRequests: EndedRequests;
  /** Adds the spend imports wrote since the last look to the counters now (it is also done every 10 s). */
  catchUp(): Promise<void>;
  /** Projected window-end spend and run-out moment of these budgets (all when ids is absent), from the ledger. */
  forecast(rules: RuleSet, now: number, ids?: readonly string[]): Promise<BudgetForecast[]>;
  /** Set when alerts carry signed links: approve/deny with increase requests, the evidence page with anomalies. */
  signedLinks: SignedLinks | undefined;
  /** The reconciliation job; its last run shows in /policy/health. */
  drift: DriftWatch;
  now(): number;
}
