import type { Logger } from '../core/logger.js';
import type { SettleOutcome, Settlement } from './counters/port.js';

export interface PendingLimits {
  /**
   * Settlements kept at most; past it the oldest is let go, and the lease releases its hold.
   * 20,000 (in-flight requests of one replica at the start of an outage) are about 18 MB with two
   * budgets a request, 31 MB with five (see settle-holds.ts).
   */
  max: number;
  /** The pause before the first try, doubled after each failed one up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Settlements per call to the counters. */
  perCall: number;
}

export const PENDING_LIMITS: PendingLimits = Object.freeze({ max: 20_000, firstDelayMs: 250, maxDelayMs: 5_000, perCall: 500 });

/** A settlement the counters did not take, kept to apply later. */
export interface Kept {
  s: Settlement;
  /** When its reservation's lease ends: from then on the lease releases the hold, and the settlement is let go. */
  until: number;
  /** Given the outcome once the settlement has taken effect (not when the reservation was already settled or released). */
  done?: (out: SettleOutcome) => void;
}

/**
 * Settlements a live process could not apply because the counters did not answer (Redis down),
 * kept in memory and applied once they answer again: retried in the background with a growing
 * pause, for as long as the process lives, a batch per call. Settling is idempotent per
 * reservation id (the reservation's record goes with its first settlement), so a settlement that
 * did run although its reply was lost, or that is kept twice, counts once. Nothing here is on a
 * request's path: `add` only files the settlements.
 *
 * Bounded twice: a settlement is let go when its reservation's lease ends (the lease releases the
 * hold then), and at most `max` are kept, the oldest let go first (its lease ends soonest). Spend
 * let go is missing from the counters until reconciliation adds it (`budgets reconcile --fix`).
 */
export class PendingSettlements {
  private readonly kept = new Map<string, Kept>();
  private readonly settle: (items: Settlement[]) => Promise<(SettleOutcome | undefined)[]>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly limits: PendingLimits;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private delay: number;
  private closed = false;
  /** Whether the cap was reached since the counters last took everything (logged once then). */
  private capped = false;
  /** Since the counters last took everything: when the first settlement was kept, and how many have been applied. */
  private since: number | undefined;
  private appliedSince = 0;
  /** Failed tries are logged once a minute, saying how many were not. */
  private lastWarned = -Infinity;
  private unlogged = 0;
  /** `kept`: settlements filed; `applied`: taken by the counters later; `gone`: already settled or released when applied; `dropped`: let go at the cap; `lapsed`: let go at the lease's end. */
  readonly stats = { kept: 0, applied: 0, gone: 0, dropped: 0, lapsed: 0 };

  constructor(o: { settle: (items: Settlement[]) => Promise<(SettleOutcome | undefined)[]>; log: Logger; now: () => number; limits?: Partial<PendingLimits> }) {
    this.settle = o.settle;
    this.log = o.log;
    this.now = o.now;
    this.limits = { ...PENDING_LIMITS, ...o.limits };
    this.delay = this.limits.firstDelayMs;
  }

  /** Settlements waiting. */
  get size(): number {
    return this.kept.size;
  }

  /** Files settlements to apply later; a later one for the same reservation replaces the earlier. */
  add(list: readonly Kept[]): void {
    if (this.closed) {
      // A request that ended during shutdown, after the last try: nothing will retry it.
      this.log.warn(`shutting down: ${list.length} more settlement(s) the budget counters did not take are left for the lease`, { ids: list.map((k) => k.s.id) });
      return;
    }
    for (const k of list) {
      this.kept.delete(k.s.id);
      if (this.kept.size >= this.limits.max) this.dropOldest();
      this.kept.set(k.s.id, k);
      this.stats.kept++;
    }
    this.since ??= this.now();
    if (this.timer === undefined && this.running === undefined) this.schedule(this.delay);
  }

  /** The counters answered: try now rather than after the pause. */
  kick(): void {
    if (this.timer === undefined || this.closed) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /**
   * Stops retrying after one last try, and logs how many settlements are left: their holds stand
   * until their leases end. Resolves to that number.
   */
  async close(): Promise<number> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.kept.size > 0) await this.flush();
    const left = this.kept.size;
    if (left > 0) {
      const ids = [...this.kept.keys()].slice(0, 20);
      this.log.warn(`shutting down with ${left} settlement(s) the budget counters have not taken: their holds stand until their leases end (policy.lease_minutes), and reconciliation reports their spend as drift`, { left, ids });
    }
    return left;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.flush().finally(() => {
        this.running = undefined;
        if (!this.closed && this.kept.size > 0) this.schedule(this.delay);
      });
    }, ms);
    this.timer.unref();
  }

  /** One pass over what is kept: lapsed ones let go, the rest applied a batch at a time until a call fails. */
  private async flush(): Promise<void> {
    this.lapse();
    while (this.kept.size > 0) {
      const part: Kept[] = [];
      for (const k of this.kept.values()) {
        part.push(k);
        if (part.length === this.limits.perCall) break;
      }
      let outs: (SettleOutcome | undefined)[];
      try {
        outs = await this.settle(part.map((k) => k.s));
      } catch (err) {
        this.delay = Math.min(Math.max(this.delay * 2, 1), this.limits.maxDelayMs);
        this.failed(err);
        return;
      }
      part.forEach((k, i) => {
        // Kept again meanwhile (a settlement of the same reservation): that one stays.
        if (this.kept.get(k.s.id) === k) this.kept.delete(k.s.id);
        const out = outs[i];
        if (out === undefined) return void this.stats.gone++;
        this.stats.applied++;
        this.appliedSince++;
        k.done?.(out);
      });
    }
    this.delay = this.limits.firstDelayMs;
    if (this.since !== undefined) {
      this.log.info('the budget counters answer again: applied the settlements kept meanwhile', { applied: this.appliedSince, waited_ms: this.now() - this.since, dropped: this.stats.dropped, lapsed: this.stats.lapsed });
    }
    this.since = undefined;
    this.appliedSince = 0;
    this.capped = false;
    this.lastWarned = -Infinity;
    this.unlogged = 0;
  }

  private failed(err: unknown): void {
    const now = this.now();
    if (now - this.lastWarned < 60_000) return void this.unlogged++;
    this.log.warn('the budget counters do not answer: settlements are kept until they do, their holds standing meanwhile; retrying', { pending: this.kept.size, unlogged_failures: this.unlogged, err: String(err) });
    this.lastWarned = now;
    this.unlogged = 0;
  }

  private lapse(): void {
    const now = this.now();
    let n = 0;
    for (const [id, k] of this.kept) {
      if (k.until > now) continue;
      this.kept.delete(id);
      n++;
    }
    if (n === 0) return;
    this.stats.lapsed += n;
    this.log.warn(`${n} kept settlement(s) reached the end of their reservation's lease: the lease releases their holds, and reconciliation reports their spend as drift`, { lapsed: n, pending: this.kept.size });
  }

  private dropOldest(): void {
    const oldest = this.kept.keys().next();
    if (oldest.done) return;
    this.kept.delete(oldest.value);
    this.stats.dropped++;
    if (this.capped) return;
    this.capped = true;
    this.log.warn(`more than ${this.limits.max} settlements are waiting for the budget counters: the oldest are let go, their holds standing until their leases end (policy.lease_minutes), their spend reported as drift by reconciliation`, { max: this.limits.max });
  }
}
