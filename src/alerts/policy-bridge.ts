import type { Logger } from '../core/logger.js';
import { formatUsd } from '../core/money.js';
import { newRequestId } from '../core/ids.js';
import { alertPeriod } from '../policy/alert-period.js';
import { countedSet } from '../policy/counted-set.js';
import type { DriftReport } from '../policy/drift-watch.js';
import type { IncreaseEvents } from '../policy/increases.js';
import { type Increase, ruleSubject } from '../policy/rules.js';
import type { PolicyEvents } from '../policy/threshold-watch.js';
import type { Storage } from '../storage/ports.js';
import { type AlertEvent, type AlertSink, type BudgetAlert, budgetFields } from './events.js';
import { iso } from './format.js';
import { increaseAlerts } from './increase-alerts.js';
import type { SignedLinks } from './signed-link.js';
import { signSpendLink, spendSpec } from './spend-link.js';

const DOWN_ALERT_EVERY_MS = 60_000;

/**
 * Turns policy and increase events into alerts and audit entries. Threshold and refusal
 * alerts are claimed in storage first, so each goes out once per window across replicas.
 * Nothing here may slow or fail a request: every write is in the background.
 */
export class AlertBridge implements PolicyEvents, IncreaseEvents {
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

  threshold: PolicyEvents['threshold'] = (b, percent, level, limit, windowStart, resetsAt) => {
    this.once(`threshold:${b.id}:${countedSet(b)}:${alertPeriod(b.window, windowStart)}:${limit}:${percent}`, ruleSubject(b.kind, b.id), { window_start: iso(windowStart), limit_usd: formatUsd(limit), percent }, this.withSpendLink({ type: 'budget.threshold' as const, ...budgetFields(b), percent, spentPicos: level, limitPicos: limit, windowStart, resetsAt }));
  };

  refused: PolicyEvents['refused'] = (b, requestId, caller, level, limit, windowStart, resetsAt, need) => {
    // Once per window, limit and counted set: a budget raised by an increase and used up again is news to whoever approved it.
    // A request larger than the whole limit says nothing about the budget being spent: claimed apart, so it
    // does not use up the alert for when the budget really is.
    const oversized = need > limit;
    const details = { window_start: iso(windowStart), limit_usd: formatUsd(limit), ...(oversized && { oversized: true }) };
    this.once(`refused:${b.id}:${countedSet(b)}:${alertPeriod(b.window, windowStart)}:${limit}${oversized ? ':oversized' : ''}`, ruleSubject(b.kind, b.id), details, this.withSpendLink({ type: 'budget.refused' as const, ...budgetFields(b), requestId, user: caller.user, keyId: caller.keyId, spentPicos: level, limitPicos: limit, windowStart, resetsAt, requestPicos: need }));
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
    const alert = () => {
      this.audit('tollgate', `policy.fail_${mode}`, 'counters', { message, count });
      this.send({ type: mode === 'open' ? 'counters.fail_open' : 'counters.fail_closed', message, count });
    };
    // Every replica sees the same outage: one of them alerts each minute. Storage down as well, each does.
    this.storage.policy.claimAlert(`counters.fail_${mode}:${Math.floor(t / DOWN_ALERT_EVERY_MS)}`, t).then((first) => first && alert(), alert);
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

  /** Sends `event` unless `claim` was taken already; the audit entry names the budget (`subject`) and says which window and limit in `details`, not the claim's raw milliseconds and picodollars. */
  private once(claim: string, subject: string, details: Record<string, unknown>, event: AlertEvent): void {
    const raise = () => {
      this.audit('tollgate', event.type, subject, details);
      this.send(event);
    };
    // Storage down: sent unclaimed (another replica may send it too) rather than lost, as a threshold is raised once a window.
    this.storage.policy.claimAlert(claim, this.now()).then(
      (first) => first && raise(),
      (err: unknown) => {
        this.log.warn('could not record an alert: sent without the claim that keeps it to one replica', { claim, err: String(err) });
        raise();
      },
    );
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
