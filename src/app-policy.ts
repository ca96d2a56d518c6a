import { type AlertEvent, type AlertSink, type BudgetAlert, budgetFields } from './alerts/events.js';
import { signSpendLink, spendSpec } from './alerts/spend-link.js';
import { increaseAlerts } from './alerts/increase-alerts.js';
import type { SignedLinks } from './alerts/signed-link.js';
import type { Logger } from './core/logger.js';
import { formatUsd } from './core/money.js';
import { forecastBudgets } from './forecast/budgets.js';
import { newRequestId } from './core/ids.js';
import type { PriceFn } from './metering/build-row.js';
import { MemoryCounters } from './policy/counters/memory.js';
import type { Counters } from './policy/counters/port.js';
import { type DriftReport, DriftWatch } from './policy/drift-watch.js';
import { Enforcer } from './policy/enforcer.js';
import { type IncreaseEvents, IncreaseService } from './policy/increases.js';
import { counterFromLedger } from './policy/ledger-spend.js';
import type { BudgetCounter } from './policy/plan.js';
import { reconcile } from './policy/reconcile.js';
import { type ConfigRules, RuleBook } from './policy/rule-book.js';
import type { Increase } from './policy/rules.js';
import type { PolicyRuntime } from './policy/runtime.js';
import type { PolicySettings } from './policy/settings.js';
import type { PolicyEvents } from './policy/threshold-watch.js';
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

/** Builds budgets, rate limits and model policy for the gateway and the admin API. */
export async function startPolicy(o: PolicyOptions, storage: Storage, price: PriceFn, flushLedger: () => Promise<void>, log: Logger): Promise<PolicyRuntime & { close(): Promise<void> }> {
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
  const fromLedger = async (c: BudgetCounter, at: number) => {
    // Rows still in this process's write buffer count too.
    await flushLedger();
    return counterFromLedger(storage.ledger, c, at);
  };
  const enforcer = new Enforcer({ rules: () => rules.current(), counters, price, fromLedger, events: bridge, settings: o.settings, log, now });
  const drift = new DriftWatch({
    run: () => reconcile(rules.current(), counters, fromLedger, o.settings, now()),
    report: (r) => bridge.drift(r),
    onError: (err) => log.warn('reconciliation could not run', { err: String(err) }),
    now,
  });
  await rules.start();
  drift.start(o.settings.reconcileMs);
  return {
    rules,
    store: storage.policy,
    increases,
    counters,
    settings: o.settings,
    enforcer,
    fromLedger,
    async forecast(set, at, ids) {
      await flushLedger();
      return forecastBudgets(storage.ledger, set, { timeZone: o.settings.timeZone, keyPrefix: o.settings.keyPrefix, now: at, ids });
    },
    signedLinks: o.signedLinks,
    drift,
    now,
    async close() {
      rules.stop();
      drift.stop();
      await counters.close();
    },
  };
}

const DOWN_ALERT_EVERY_MS = 60_000;

/**
 * Turns policy and increase events into alerts and audit entries. Threshold and refusal
 * alerts are claimed in storage first, so each goes out once per window across replicas.
 * Nothing here may slow or fail a request: every write is in the background.
 */
class AlertBridge implements PolicyEvents, IncreaseEvents {
  /** Per fail mode: when it was last reported, and how often it happened since. */
  private readonly down = { open: { last: 0, count: 0 }, closed: { last: 0, count: 0 } };
  private readonly storage: Storage;
  private readonly sink: AlertSink;
  private readonly increases: IncreaseEvents;
  private readonly links: SignedLinks | undefined;
  private readonly log: Logger;
  private readonly now: () => number;

  private readonly showAmounts: boolean;

  constructor(storage: Storage, sink: AlertSink, links: SignedLinks | undefined, log: Logger, now: () => number, showAmounts = true) {
    this.showAmounts = showAmounts;
    this.storage = storage;
    this.sink = sink;
    this.increases = increaseAlerts(sink, links);
    this.links = links;
    this.log = log;
    this.now = now;
  }

  threshold: PolicyEvents['threshold'] = (b, percent, level, limit, windowStart, windowEnd) => {
    this.once(`threshold:${b.id}:${windowStart}:${limit}:${percent}`, this.withSpendLink({ type: 'budget.threshold' as const, ...budgetFields(b), percent, spentPicos: level, limitPicos: limit, windowStart, resetsAt: windowEnd }));
  };

  refused: PolicyEvents['refused'] = (b, requestId, caller, level, limit, windowStart, windowEnd, need) => {
    // Once per window and limit: a budget raised by an increase and used up again is news to whoever approved it.
    // A request larger than the whole limit says nothing about the budget being spent: claimed apart, so it
    // does not use up the alert for when the budget really is.
    const oversized = need > limit;
    this.once(`refused:${b.id}:${windowStart}:${limit}${oversized ? ':oversized' : ''}`, this.withSpendLink({ type: 'budget.refused' as const, ...budgetFields(b), requestId, user: caller.user, keyId: caller.keyId, spentPicos: level, limitPicos: limit, windowStart, resetsAt: windowEnd, requestPicos: need }));
  };

  /** A budget alert with the signed page of where its spend went, when signed links are on. */
  private withSpendLink<E extends BudgetAlert>(e: E): E {
    if (!this.links) return e;
    const spec = spendSpec(e, this.now());
    // Amounts hidden, the link carries the share alone (basis points of 10,000): the page shows a percentage.
    const shown = this.showAmounts ? spec : { ...spec, spentPicos: spec.limitPicos > 0n ? (spec.spentPicos * 10_000n) / spec.limitPicos : 10_000n, limitPicos: 10_000n };
    return { ...e, spendUrl: signSpendLink(this.links.publicUrl, this.links.secret, shown) };
  }

  countersDown: PolicyEvents['countersDown'] = (mode, message) => {
    const t = this.now();
    const d = this.down[mode];
    d.count++;
    if (t - d.last < DOWN_ALERT_EVERY_MS) return;
    d.last = t;
    const count = d.count;
    d.count = 0;
    this.log.warn(`budget counters unreachable: requests ${mode === 'open' ? 'admitted (fail open)' : 'refused (fail closed)'}`, { message, count });
    this.audit('tollgate', `policy.fail_${mode}`, 'counters', { message, count });
    this.send({ type: mode === 'open' ? 'counters.fail_open' : 'counters.fail_closed', message, count });
  };

  drift(r: DriftReport): void {
    const budgets = r.drifting.map((d) => ({ budget_id: d.budgetId, window_start: new Date(d.window).toISOString(), drift_usd: formatUsd(d.driftPicos) }));
    this.log.warn('budget counters disagree with the ledger; run `tollgate budgets reconcile --fix` to correct them', { budgets });
    this.audit('tollgate', 'policy.drift', 'counters', { budgets });
  }

  requested(i: Increase): void {
    this.increases.requested(i);
  }

  decided(i: Increase): void {
    this.increases.decided(i);
  }

  expired(i: Increase): void {
    this.increases.expired(i);
  }

  private once(claim: string, event: AlertEvent): void {
    this.storage.policy
      .claimAlert(claim, this.now())
      .then((first) => {
        if (!first) return;
        this.audit('tollgate', event.type, claim, {});
        this.send(event);
      })
      .catch((err: unknown) => this.log.warn('could not record an alert', { claim, err: String(err) }));
  }

  private send(e: AlertEvent): void {
    this.sink.send(e);
  }

  private audit(actor: string, action: string, subject: string, details: Record<string, unknown>): void {
    const at = this.now();
    this.storage.policy
      .appendAudit({ id: `aud_${newRequestId(at).replace(/-/g, '')}`, ts: at, actor, action, subject, details })
      .catch((err: unknown) => this.log.warn('could not write the audit log', { action, err: String(err) }));
  }
}
