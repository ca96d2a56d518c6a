import type { Logger } from '../core/logger.js';
import type { Picos } from '../core/money.js';
import type { BudgetCharge } from '../storage/budget-charges.js';
import type { LedgerStore } from '../storage/ports.js';
import type { CounterInit, Counters } from './counters/port.js';
import { type BudgetCounter, budgetCounter } from './plan.js';
import type { RuleSet } from './rules.js';
import type { PolicySettings } from './settings.js';
import { type PolicyEvents, ThresholdWatch, noEvents } from './threshold-watch.js';
import { type SettledSpend, chargedCounters } from './settled-spend.js';

/** How often a gateway takes the spend imports wrote into its counters (docs/budgets.md, "Imported spend"). */
export const CATCH_UP_MS = 10_000;
const TAKE = 5000;

export interface ImportChargeDeps {
  ledger: Pick<LedgerStore, 'takeCharges' | 'pendingCharges'>;
  counters: Counters;
  rules: () => RuleSet;
  settings: PolicySettings;
  log: Logger;
  /** Where a threshold the imported spend crosses is told (the sink de-duplicates across replicas and with the enforcer's). */
  events?: PolicyEvents;
  /** A counter's spend read from the ledger, to fill one the imported spend finds not yet initialised. */
  fromLedger?: (c: BudgetCounter, now: number) => Promise<CounterInit>;
  now?: () => number;
}

/**
 * Adds the spend imports wrote into the ledger (pushed through the admin API, or written by
 * another process, `tollgate import` on the same database) to the budget counters: the charges
 * storage queued with those rows (src/storage/budget-charges.ts), each taken once, whichever
 * replica takes it. A counter initialised from the ledger already holds the rows of the charges
 * still queued then, so its initialisation leaves them out; the two run one at a time here.
 */
export class ImportCharges {
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly d: ImportChargeDeps;
  private readonly watch: ThresholdWatch;

  constructor(d: ImportChargeDeps) {
    this.d = d;
    this.watch = new ThresholdWatch(d.events ?? noEvents);
  }

  /** Takes every queued charge into the counters; returns how many there were. */
  catchUp(): Promise<number> {
    return this.exclusive(async () => {
      let n = 0;
      for (;;) {
        const taken = await this.d.ledger.takeCharges(TAKE);
        n += taken.length;
        await this.add(taken);
        if (taken.length < TAKE) return n;
      }
    });
  }

  /** A counter's initialisation from the ledger (`fromLedger`), less the charges still queued, which catchUp adds. */
  initialize(c: BudgetCounter, now: number, fromLedger: (c: BudgetCounter, now: number) => Promise<CounterInit>): Promise<CounterInit> {
    return this.exclusive(() => this.fromLedgerLessQueued(c, now, fromLedger));
  }

  private async fromLedgerLessQueued(c: BudgetCounter, now: number, fromLedger: (c: BudgetCounter, now: number) => Promise<CounterInit>): Promise<CounterInit> {
    const init = await fromLedger(c, now);
    const amounts = new Map(init.amounts.map((a) => [a.bucket, a.amount]));
    for (const [counter, delta] of this.perCounter(await this.d.ledger.pendingCharges())) {
      if (counter.line.marker !== c.line.marker) continue;
      const bucket = counter.line.buckets.at(-1)!;
      amounts.set(bucket, (amounts.get(bucket) ?? 0n) - delta);
    }
    return { ...init, amounts: [...amounts].filter(([, a]) => a !== 0n).map(([bucket, amount]) => ({ bucket, amount })) };
  }

  start(everyMs = CATCH_UP_MS): void {
    this.timer = setInterval(() => void this.catchUp().catch((err: unknown) => this.d.log.warn('could not add imported spend to budgets; the next run tries again', { err: String(err) })), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Adds charges to the counters already initialised, summed per counter bucket; one not initialised is filled from the ledger, which has them. */
  private async add(charges: readonly BudgetCharge[]): Promise<void> {
    const sums = [...this.perCounter(charges)].filter(([, delta]) => delta !== 0n);
    if (sums.length === 0) return;
    const read = await this.d.counters.read(sums.map(([c]) => c.line));
    for (const [i, [counter, delta]] of sums.entries()) {
      if (!read[i]!.initialized) {
        if (delta > 0n) await this.fill(counter);
        continue;
      }
      await this.d.counters.adjust(counter.line, delta);
      // Imported spend crosses thresholds as settled traffic does.
      if (delta > 0n) this.watch.check(counter, read[i]!.spent + delta);
    }
  }

  /**
   * A counter imported spend finds not initialised (no request of its scope through this gateway
   * yet): filled from the ledger, which has the imported rows, and its thresholds checked. Left to
   * its next read, the thresholds this spend crossed went untold until another import moved it.
   * Spend of a window already over (a backfill) alerts nothing.
   */
  private async fill(charged: BudgetCounter): Promise<void> {
    const now = this.d.now?.() ?? Date.now();
    if (!this.d.fromLedger || charged.window.clearsAt <= now) return;
    const c = budgetCounter(this.d.settings.keyPrefix, charged.budget, this.d.rules(), now, this.d.settings.timeZone);
    if (c.line.marker !== charged.line.marker) return;
    await this.d.counters.initialize([await this.fromLedgerLessQueued(c, now, this.d.fromLedger)]);
    this.watch.check(c, (await this.d.counters.read([c.line]))[0]!.spent);
  }

  private perCounter(charges: readonly BudgetCharge[]): Map<BudgetCounter, Picos> {
    const rules = this.d.rules();
    const byKey = new Map<string, [BudgetCounter, Picos]>();
    for (const ch of charges) {
      for (const counter of chargedCounters(rules, this.d.settings, spendOf(ch))) {
        const key = `${counter.line.marker}\u0000${counter.line.buckets.at(-1)!}`;
        const had = byKey.get(key);
        byKey.set(key, [had?.[0] ?? counter, (had?.[1] ?? 0n) + ch.costPicos]);
      }
    }
    return new Map(byKey.values());
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function spendOf(c: BudgetCharge): SettledSpend {
  return { id: c.id, ts: c.ts, caller: { keyId: c.keyId, user: c.user, team: c.team, project: c.project, tags: c.tags }, model: c.model, provider: c.provider, pool: c.pool, cost: c.costPicos };
}
