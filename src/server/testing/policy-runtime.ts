import { ImportCharges } from '../../policy/import-charges.js';
import { silentLogger } from '../../core/logger.js';
import { forecastBudgets } from '../../forecast/budgets.js';
import { MemoryCounters } from '../../policy/counters/memory.js';
import type { Counters } from '../../policy/counters/port.js';
import { DriftWatch } from '../../policy/drift-watch.js';
import { Enforcer } from '../../policy/enforcer.js';
import { type IncreaseEvents, IncreaseService } from '../../policy/increases.js';
import { counterFromLedger } from '../../policy/ledger-spend.js';
import { endedIn } from '../../policy/reconcile.js';
import { type ConfigRules, RuleBook } from '../../policy/rule-book.js';
import type { Increase } from '../../policy/rules.js';
import type { PolicyRuntime } from '../../policy/runtime.js';
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from '../../policy/settings.js';
import { noEvents } from '../../policy/threshold-watch.js';
import type { Storage } from '../../storage/ports.js';

/** Increase events, recorded. */
export class RecordedEvents implements IncreaseEvents {
  readonly seen: { type: 'requested' | 'decided' | 'expired'; increase: Increase }[] = [];
  requested(i: Increase): void {
    this.seen.push({ type: 'requested', increase: i });
  }
  decided(i: Increase): void {
    this.seen.push({ type: 'decided', increase: i });
  }
  expired(i: Increase): void {
    this.seen.push({ type: 'expired', increase: i });
  }
}

export interface TestRuntimeOptions {
  rules?: Partial<ConfigRules>;
  settings?: Partial<PolicySettings>;
  counters?: Counters;
  now?: () => number;
}

/** A policy runtime over real storage, as the app builds it, without the gateway. */
export async function testRuntime(storage: Storage, o: TestRuntimeOptions = {}): Promise<PolicyRuntime & { events: RecordedEvents }> {
  const now = o.now ?? Date.now;
  const settings = { ...DEFAULT_POLICY_SETTINGS, ...o.settings };
  const counters = o.counters ?? new MemoryCounters();
  const events = new RecordedEvents();
  const rules = new RuleBook(storage.policy, { budgets: [], rateLimits: [], modelPolicies: [], ...o.rules }, silentLogger, { refreshMs: 60_000 });
  const charges = new ImportCharges({ ledger: storage.ledger, counters, rules: () => rules.current(), settings, log: silentLogger });
  const fromLedger = (c: Parameters<typeof counterFromLedger>[1], at: number) => charges.initialize(c, at, (cc, t) => counterFromLedger(storage.ledger, cc, t));
  const catchUp = async () => void (await charges.catchUp());
  const enforcer = new Enforcer({ rules: () => rules.current(), counters, price: () => ({ costPicos: 0n, unpriced: false }), fromLedger, events: noEvents, settings, log: silentLogger, now });
  await rules.refresh();
  const drift = new DriftWatch({ run: () => Promise.resolve([]), report: () => undefined, onError: () => undefined, now });
  const forecast: PolicyRuntime['forecast'] = (set, at, ids) => forecastBudgets(storage.ledger, set, { timeZone: settings.timeZone, keyPrefix: settings.keyPrefix, now: at, ids });
  return { rules, store: storage.policy, increases: new IncreaseService(storage.policy, events, now), counters, settings, enforcer, fromLedger, endedRequests: (ids) => endedIn(storage, ids), catchUp, forecast, signedLinks: undefined, drift, now, events };
}
