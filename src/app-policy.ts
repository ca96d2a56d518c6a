import type { AlertSink } from './alerts/events.js';
import { AlertBridge } from './alerts/policy-bridge.js';
import type { SignedLinks } from './alerts/signed-link.js';
import type { Logger } from './core/logger.js';
import { forecastBudgets } from './forecast/budgets.js';
import type { PriceFn } from './metering/build-row.js';
import { MemoryCounters } from './policy/counters/memory.js';
import type { Counters } from './policy/counters/port.js';
import { DriftWatch } from './policy/drift-watch.js';
import { Enforcer } from './policy/enforcer.js';
import { IncreaseService } from './policy/increases.js';
import { ImportCharges } from './policy/import-charges.js';
import { counterFromLedger } from './policy/ledger-spend.js';
import type { BudgetCounter } from './policy/plan.js';
import { endedIn, reconcile } from './policy/reconcile.js';
import { GeminiCaches } from './policy/gemini-cache.js';
import { ResponseContexts } from './policy/response-context.js';
import { type ConfigRules, RuleBook } from './policy/rule-book.js';
import type { PolicyRuntime } from './policy/runtime.js';
import type { PolicySettings } from './policy/settings.js';
import type { Storage } from './storage/ports.js';

export interface PolicyOptions {
  settings: PolicySettings;
  rules: ConfigRules;
  /** Shared counters for many replicas; without it, counters live in this process. */
  redisUrl: string | undefined;
  alerts: AlertSink;
  signedLinks: SignedLinks | undefined;
  /** How often stored rules are re-read. */
  refreshMs?: number;
  now?: () => number;
}

/**
 * Builds budgets, rate limits and model policy for the gateway and the admin API. `flush` commits
 * the rows recorded so far: `ledger` before counting spend, `read` before an admin read (a forecast,
 * the requests that ended), which fails at once while storage fails.
 */
export async function startPolicy(o: PolicyOptions, storage: Storage, price: PriceFn, flush: { ledger: () => Promise<void>; read: () => Promise<void> }, log: Logger): Promise<PolicyRuntime & { responses: ResponseContexts; caches: GeminiCaches; close(): Promise<void> }> {
  const flushLedger = flush.ledger;
  const now = o.now ?? Date.now;
  // ioredis is loaded only for replicas that share counters.
  let counters: Counters = new MemoryCounters();
  if (o.redisUrl) {
    const redis = await (await import('./policy/counters/redis.js')).startRedisCounters(o.redisUrl, { prefix: o.settings.keyPrefix });
    // Serving starts all the same (each rule follows its fail setting): said now, not at the first refusal.
    if (redis.notConnected) log.warn(`${redis.notConnected}: budgets and rate limits follow their fail setting until it answers`);
    counters = redis;
  }
  const bridge = new AlertBridge(storage, o.alerts, o.signedLinks, log, now, o.settings.showAmounts);
  const increases = new IncreaseService(storage.policy, bridge, now);
  const rules = new RuleBook(storage.policy, o.rules, log, {
    refreshMs: o.refreshMs,
    afterRefresh: async () => void (await increases.expireDue()),
  });
  const ledgerSpend = async (c: BudgetCounter, at: number) => {
    // Rows still in this process's write buffer count too.
    await flushLedger();
    return counterFromLedger(storage.ledger, c, at);
  };
  const charges = new ImportCharges({ ledger: storage.ledger, counters, rules: () => rules.current(), settings: o.settings, log, events: bridge, fromLedger: ledgerSpend, now });
  // Less imported spend still queued: the catch-up adds it.
  const fromLedger = (c: BudgetCounter, at: number) => charges.initialize(c, at, ledgerSpend);
  const catchUp = async () => void (await charges.catchUp());
  // A Responses follow-up's context: the rows this process records are remembered (app.ts), others read from the ledger.
  const responses = new ResponseContexts({ lookup: (id, since, until) => storage.ledger.responseContext(id, since, until), fallbackTokens: o.settings.responsesContextTokens, timeoutMs: o.settings.responseLookupMs, now, log });
  const storedContext = (previous: string | undefined) => responses.contextOf(previous);
  // A Gemini cache's size likewise: the creations this process records are remembered (app.ts).
  const caches = new GeminiCaches({ lookup: (name, since, until) => storage.ledger.geminiCacheTokens(name, since, until), fallbackTokens: o.settings.geminiCacheTokens, timeoutMs: o.settings.responseLookupMs, now, log });
  const cachedContent = (name: string) => caches.contentOf(name);
  const enforcer = new Enforcer({ rules: () => rules.current(), counters, price, fromLedger, events: bridge, settings: o.settings, log, now, storedContext, cachedContent });
  const drift = new DriftWatch({
    run: async () => {
      await catchUp();
      return reconcile(rules.current(), counters, fromLedger, o.settings, now());
    },
    report: (r) => bridge.drift(r),
    onError: (err) => log.warn('reconciliation could not run', { err: String(err) }),
    now,
  });
  await rules.start();
  drift.start(o.settings.reconcileMs);
  charges.start();
  return {
    rules,
    store: storage.policy,
    increases,
    counters,
    settings: o.settings,
    enforcer,
    fromLedger,
    endedRequests: async (ids) => {
      await flush.read();
      return endedIn(storage, ids);
    },
    catchUp,
    async forecast(set, at, ids) {
      await flush.read();
      return forecastBudgets(storage.ledger, set, { timeZone: o.settings.timeZone, keyPrefix: o.settings.keyPrefix, now: at, ids });
    },
    signedLinks: o.signedLinks,
    drift,
    responses,
    caches,
    now,
    async close() {
      rules.stop();
      drift.stop();
      charges.stop();
      // Before the counters close: kept settlements get one last try.
      await enforcer.close();
      await counters.close();
    },
  };
}
