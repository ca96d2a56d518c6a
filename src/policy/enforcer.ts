import { GatewayError } from '../core/errors.js';
import { headerValue } from '../core/header-text.js';
import type { AdmitRequest, Admission, AttemptCost, BatchAdmission, BatchAdmitRequest, Caller, Served } from './admission.js';
import { BatchTotals } from './batch-estimate.js';
import { DowngradeJudge } from './downgrade.js';
import { type Attempt, type Extra, type Holding, type ReserveRequest, holdingOf, moved, paidPool } from './holding.js';
import type { Logger } from '../core/logger.js';
import { once } from '../core/once.js';
import type { Picos } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import { type CounterInit, type Counters, CountersUnavailable, type ReserveOutcome, type Settlement } from './counters/port.js';
import { LateReleases } from './late-releases.js';
import { type Hold, HoldSettler } from './settle-holds.js';
import type { PendingSettlements } from './pending-settlements.js';
import { CounterInitializer } from './counter-init.js';
import { type CostedEstimate, type Estimate, type PriceContext, affordableOutputTokens, estimateCost, estimatePricer, estimateRequest, outputPerChoice, unpricedWarnings } from './estimate.js';
import { type StoredInputLookups, storedInputs } from './stored-inputs.js';
import { admitModel, decideModel } from './model-rules.js';
import { dearestServer } from './server-fallbacks.js';
import { type BudgetCounter, type Planned, applicableBudgets, applicableRateLimits, budgetCounter, downgradeUnderPressure, planReservation, retryAfterMs } from './plan.js';
import { rateLimited } from './refusal.js';
import { closedRefusal } from './fail-mode.js';
import { needParts, spendRefusal } from './spend-refusal.js';
import { lateDowngrade } from './late-downgrade.js';
import { remainingHeader } from './remaining-header.js';
import { type Budget, type RateLimit, type RuleSet, countsTokens, noRules } from './rules.js';
import type { PolicySettings } from './settings.js';
import type { Subject } from './scope.js';
import { type SettledSpend, chargeSettledSpend } from './settled-spend.js';
import { settlementOf } from './request-settlement.js';
import { type PolicyEvents, ThresholdWatch } from './threshold-watch.js';
import { type FallbackDeps, GO, attemptCheck } from './fallback-attempts.js';
import { type BatchDeps, reserveBatch } from './batch-reservation.js';
/** The lookups of what a request names that is billed as input but not in its body (stored-inputs.ts) are optional. */
export interface EnforcerDeps extends Omit<StoredInputLookups, 'settings'> {
  rules: () => RuleSet;
  counters: Counters;
  price: PriceFn;
  /** Spend already in the ledger for a counter that has none yet. */
  fromLedger: (c: BudgetCounter, now: number) => Promise<CounterInit>;
  events: PolicyEvents;
  settings: PolicySettings;
  log: Logger;
  now?: () => number;
}

const noAlert = () => undefined;
const FREE_BATCH: BatchAdmission = Object.freeze({ headers: {}, settle: () => undefined });

/**
 * Budgets, rate limits and model policy for one request: decide the model, reserve the
 * estimated cost on every budget that applies (all or nothing), and settle to the actual
 * cost afterwards. The only I/O on the request's path is one `reserve` call (and one more
 * before an attempt on a fallback model or provider with rules of its own).
 */
export class Enforcer {
  private readonly d: EnforcerDeps;
  private readonly now: () => number;
  private readonly watch: ThresholdWatch;
  /** Last level seen per budget, for downgrade-under-pressure without an extra round trip. */
  private readonly levels = new Map<string, { level: Picos; limit: Picos; marker: string; start: number }>();
  private readonly init: CounterInitializer;
  private readonly late: LateReleases;
  private readonly settler: HoldSettler;
  /** Prices an estimate; an unpriced model counts as free, with one warning per provider and model (a few an hour). */
  private readonly costOf: (e: CostedEstimate, pc: PriceContext) => Picos;
  readonly renewLeases = (): Promise<void> => this.settler.leases.renewNow();
  private readonly storedInputs: (req: AdmitRequest<Served>) => Promise<void>;
  /** What the admissions of fallback attempts (fallback-attempts.ts) and batches (batch-reservation.ts) use of this one. */
  private readonly parts: FallbackDeps & BatchDeps;
  /** `fallbackHolds`: extra reservations for fallback attempts; `fallbackRefused`: fallback attempts a budget or rate limit refused. */
  readonly stats = { admitted: 0, refused: 0, failOpen: 0, failClosed: 0, settleErrors: 0, fallbackHolds: 0, fallbackRefused: 0 };

  constructor(d: EnforcerDeps) {
    this.d = d;
    this.now = d.now ?? Date.now;
    this.watch = new ThresholdWatch(d.events);
    this.init = new CounterInitializer(d.fromLedger, d.counters);
    this.late = new LateReleases((items) => d.counters.settle(items, this.now()), d.log);
    this.settler = new HoldSettler({ counters: d.counters, log: d.log, now: this.now, retry: d.settings.settleRetry, observe: (c, levels) => this.observe(c, levels), stats: this.stats, leaseMs: () => this.d.settings.leaseMs });
    this.costOf = estimatePricer(unpricedWarnings(d.log), this.now);
    this.storedInputs = storedInputs(d);
    this.parts = { d, now: () => this.now(), costOf: this.costOf, reserve: (...a) => this.reserve(...a), costAt: (req, model, served, pricedAs) => this.priced(req, model, served, this.now(), pricedAs).cost, stats: this.stats, leases: this.settler.leases, settleHolds: (holds, items) => this.settleHolds(holds, items) };
  }

  /** Admits the request at once (counted as admitted) when there are no rules, and says so: the gateway then skips `admit` for `unruled`. */
  admitWithoutRules(): boolean {
    if (!noRules(this.d.rules())) return false;
    this.stats.admitted++;
    return true;
  }

  /**
   * The admission of a request admitted without rules (admitWithoutRules): it holds nothing, and
   * settling it only charges budgets made while it ran. Attempts on other models are noted for that.
   */
  unruled<P extends Served>(id: string, caller: Caller, model: string, served: P): Admission<P> {
    const h = holdingOf({ id, caller, bodyBytes: 0, json: undefined, maxOutputTokens: undefined }, undefined, { model, provider: served.provider }, this.now(), null);
    const attempt = (n: number, m: string, s: Served) => {
      if (m !== model || s.provider !== served.provider) moved(h, n, m, s.provider);
      return GO;
    };
    return { model, rewrittenFrom: null, served, headers: {}, pool: null, capOutputTokens: undefined, attempt, settle: this.settlerOf(h) };
  }

  async admit<P extends Served>(req: AdmitRequest<P>): Promise<Admission<P>> {
    // Measure-first deployments have no rules: keep their hot path free of policy work.
    if (this.admitWithoutRules()) return this.unruled(req.id, req.caller, req.model, req.resolve(req.model));
    const rules = this.d.rules();
    const now = this.now();
    const decision = admitModel(rules.modelPolicies, req.caller, req.model, req.keep, req.json);
    // Looked up (boundedly) for a Responses follow-up or a Gemini request naming a cache alone, when a rule counts tokens: no other request waits on storage.
    if (countsTokens(rules)) await this.storedInputs(req);
    let model = decision.model;
    let rewrittenFrom = decision.rewrittenFrom;
    let served = req.resolve(model);
    const judge = new DowngradeJudge(req, { model, served }, { price: this.d.price, settings: this.d.settings, allowed: (m) => this.modelServed(req.caller, m) !== undefined }, now);
    const pressured = downgradeUnderPressure(rules, { ...req.caller, model, provider: served.provider }, this.levels, judge.usable, (b) => budgetCounter(this.d.settings.keyPrefix, b, rules, now, this.d.settings.timeZone));
    if (pressured) {
      rewrittenFrom ??= req.model;
      model = pressured;
      served = judge.served(pressured)!;
    }
    let attempt = await this.reserve(req, rules, model, served, now);
    const late = !pressured && attempt.kind === 'reserved' ? lateDowngrade(rules, { ...req.caller, model, provider: served.provider }, attempt, judge) : null;
    if (late) [rewrittenFrom, model, served] = [rewrittenFrom ?? req.model, late, judge.served(late)!];
    const to = attempt.kind === 'refused' ? attempt.downgradeTo : null;
    const s2 = to && to.toLowerCase() !== model.toLowerCase() ? judge.served(to) : undefined;
    const second = s2 && (await this.reserve(req, rules, to!, s2, now));
    if (second && second.kind !== 'refused') {
      rewrittenFrom ??= req.model;
      model = to!;
      served = s2!;
      attempt = second;
    }
    if (attempt.kind === 'refused') {
      this.stats.refused++;
      attempt.alert();
      throw judge.refusal(attempt.error);
    }
    this.stats.admitted++;
    const headers: Record<string, string> = judge.headers(model);
    if (rewrittenFrom && rewrittenFrom !== model) headers['x-tollgate-model-rewritten'] = headerValue(`${rewrittenFrom}->${model}`);
    const pool = paidPool(attempt);
    const h = holdingOf(req, attempt.kind === 'reserved' ? attempt.cap : undefined, { model, provider: served.provider }, now, pool, attempt.kind === 'free' ? [] : [{ id: req.id, r: attempt }]);
    for (const x of h.holds) this.settler.leases.add(x.id);
    const check = (n: number, m: string, s: Served, pricedAs: string) => attemptCheck(this.parts, h, n, m, s, pricedAs);
    const settle = this.settlerOf(h);
    if (attempt.kind !== 'reserved') return { model, rewrittenFrom, served, headers, pool: null, capOutputTokens: undefined, attempt: check, settle };
    const remaining = remainingHeader([attempt], this.d.settings.showAmounts);
    if (remaining) headers['x-tollgate-budget-remaining'] = remaining;
    return { model, rewrittenFrom, served, headers, pool, capOutputTokens: attempt.cap, attempt: check, settle };
  }

  /** Admission.settle: the request's holds replaced by its cost, and budgets made while it ran charged it (request-settlement.ts). */
  private settlerOf(h: Holding): Admission<Served>['settle'] {
    return once((cost: Picos | null, tokens: number, attempts?: readonly AttemptCost[]) => {
      h.settled = true;
      // Nothing held, no budget to find: the settlement of a request under no rules costs nothing more.
      if (h.holds.length === 0 && this.d.rules().budgets.length === 0) return;
      const s = settlementOf(h, cost ?? 0n, tokens, attempts, this.d.rules(), this.d.settings, this.now());
      if (s) void this.settleHolds(s.holds, s.items);
    });
  }

  /**
   * Settles the reservations of requests a process that died was serving, at the cost of the rows
   * the next start recorded for them: their holds and concurrency slots would otherwise stand for
   * the lease, and their cost never reach the counters.
   */
  settleRecovered(rows: readonly { id: string; actual: Picos; tokens: number; attempts: number }[]): void {
    for (const r of rows) {
      this.late.add(r.id, r.actual, r.tokens);
      // A fallback's holds (`id~k`, see fallback-attempts.ts `extend`) cover budgets the first did not, so each is charged the cost once.
      for (let k = 1; k < Math.max(2, r.attempts); k++) this.late.add(`${r.id}~${k}`, r.actual, r.tokens);
    }
  }

  /**
   * Charges spend settled after its request ended (a background response's usage) to every budget
   * whose scope matches the request. Run by the one process whose ledger write settled it.
   */
  async chargeSettled(spend: SettledSpend): Promise<void> {
    for (const { counter, level } of await chargeSettledSpend(this.d.rules(), this.d.counters, this.d.settings, spend)) {
      this.levels.set(counter.budget.id, { level, limit: counter.line.limit, marker: counter.line.marker, start: counter.window.start });
      this.watch.check(counter, level);
    }
  }

  /** The model policy serves the caller asking for `model` (a rewrite's), or undefined when it denies it: rules never route around a deny list. */
  modelServed(caller: Caller, model: string, keep = false): string | undefined {
    const d = decideModel(this.d.rules().modelPolicies, caller, model, keep);
    return d.allowed ? d.model : undefined;
  }

  private async reserve(req: ReserveRequest, rules: RuleSet, model: string, served: Served, now: number, extra?: Extra): Promise<Attempt> {
    const subject: Subject = { ...req.caller, model, provider: served.provider };
    const budgets = extra?.budgets ?? applicableBudgets(rules, subject);
    const limits = extra?.limits ?? applicableRateLimits(rules, subject);
    if (budgets.length === 0 && limits.length === 0) return { kind: 'free' };
    const s = this.d.settings;
    const fixed = extra?.fixed;
    const { estimate, pc, cost: priced } = fixed ? this.fixedPrice(fixed, req, model, served, now, extra.pricedAs) : this.priced(req, model, served, now, extra?.pricedAs);
    // A fallback starts from admission's cap and may lower it: its attempt's body is written with the cap it returns (each answer's: n answers share the room).
    const enforce = extra ? extra.enforce : budgets.some((b) => b.enforceMaxTokens);
    const choices = estimate.choices ?? 1;
    let cap = enforce ? outputPerChoice(estimate) : undefined;
    let cost = priced;
    const ctx = { rules, subject, now, timeZone: s.timeZone, prefix: s.keyPrefix };

    for (let round = 0; round < 4; round++) {
      const planned = planReservation(ctx, extra?.id ?? req.id, cost, estimate.inputTokens + (cap === undefined ? estimate.outputTokens : cap * choices), s.leaseMs, budgets, limits);
      let outcome: ReserveOutcome;
      try {
        outcome = await this.d.counters.reserve(planned.plan);
      } catch (err) {
        if (!(err instanceof CountersUnavailable)) throw err;
        return this.failMode(budgets, limits, err, planned);
      }
      // The counters answer: settlements kept while they did not need not wait for their next try.
      this.settler.pending.kick();
      if (outcome.ok) {
        this.remember(planned, outcome.levels);
        return { kind: 'reserved', planned, outcome, estimate, cost, cap };
      }
      if (outcome.reason === 'uninitialized') {
        await this.init.run(planned, outcome.markers, now);
        continue;
      }
      if (outcome.reason === 'rate') {
        const r = limits.find((l) => l.id === outcome.ref)!;
        const amount = outcome.kind === 'tpm' ? estimate.inputTokens + estimate.outputTokens : 1;
        const limit = outcome.kind === 'rpm' ? r.rpm! : outcome.kind === 'tpm' ? r.tpm! : r.concurrency!;
        return { kind: 'refused', error: rateLimited(r, outcome.kind, retryAfterMs(outcome.kind, limit, amount, outcome.current, outcome.previous, now)), alert: noAlert, downgradeTo: null, room: null, estimate };
      }
      const room = outcome.limit - outcome.level;
      // enforce_max_tokens turns a refusal into a shorter answer when some output still fits.
      if (cap !== undefined && round < 3) {
        const fits = affordableOutputTokens(estimate, cap, room, pc, choices);
        if (fits >= (req.minOutputTokens ?? 1) && fits < cap) {
          cap = fits;
          cost = this.costOf({ ...estimate, outputTokens: cap * choices }, pc);
          continue;
        }
      }
      const parts = fixed ? undefined : needParts(estimate, pc, this.costOf);
      const disclosure = { showAmounts: s.showAmounts, timeZone: s.timeZone, publicUrl: s.publicUrl };
      const refusal = spendRefusal({ rules, outcome, planned, request: req, cost, parts, of: fixed ? 'batch' : 'request', now, disclosure, events: this.d.events });
      return { kind: 'refused', ...refusal, room, estimate };
    }
    throw new GatewayError('internal', 'budget counters did not settle after initialising them from the ledger');
  }

  /** The request's estimate at a model and provider, and what `reserve` holds for it there before any cap is lowered. */
  private priced(req: ReserveRequest, model: string, served: Served, now: number, pricedAs = model): { estimate: Estimate; pc: PriceContext; cost: Picos } {
    const estimate = estimateRequest(req, pricedAs, this.d.settings);
    const pc = dearestServer(this.asked(req, model, served, now, pricedAs, estimate), estimate, req.json, this.costOf);
    return { estimate, pc, cost: this.costOf(estimate, pc) };
  }

  /** A set amount (part of a batch), priced where it is served for nothing more than the context. */
  private fixedPrice(fixed: NonNullable<Extra['fixed']>, req: ReserveRequest, model: string, served: Served, now: number, pricedAs: string): { estimate: Estimate; pc: PriceContext; cost: Picos } {
    const estimate: Estimate = { inputTokens: fixed.tokens, outputTokens: 0, bounded: false };
    return { estimate, pc: this.asked(req, model, served, now, pricedAs, estimate), cost: fixed.cost };
  }

  private asked(req: ReserveRequest, model: string, served: Served, now: number, pricedAs: string, estimate: Estimate): PriceContext {
    const asked: PriceContext = { price: this.d.price, provider: served.provider, catalogProvider: served.catalogProvider, model: pricedAs, at: new Date(now), modifiers: req.modifiers };
    // A deployment's own name for the model (an Azure deployment's) has no price: hold at the model budgets name, as admission does.
    if (asked.model !== model && estimateCost(estimate, asked) === null) asked.model = model;
    return asked;
  }

  /** Whether a batch's creation is checked at all: some budget or model policy is set. */
  governsBatches(): boolean {
    const rules = this.d.rules();
    return rules.budgets.length > 0 || rules.modelPolicies.length > 0;
  }

  /** An accumulator of a batch's requests, estimated as admission estimates a request. */
  batchTotals(): BatchTotals {
    return new BatchTotals(this.d.settings);
  }

  /** A batch's creation, reserved on its budgets (batch-reservation.ts). */
  async admitBatch(req: BatchAdmitRequest): Promise<BatchAdmission> {
    if (!this.governsBatches()) return FREE_BATCH;
    return reserveBatch(this.parts, req);
  }

  private failMode(budgets: Budget[], limits: RateLimit[], err: CountersUnavailable, planned: Planned): Attempt {
    const closed = closedRefusal(budgets, limits, planned);
    if (closed) {
      this.stats.failClosed++;
      this.d.events.countersDown('closed', err.message);
      // The reserve may still run when the counters answer again: its hold must not outlive the refusal.
      this.late.add(planned.plan.id);
      return { kind: 'refused', error: closed, alert: noAlert, downgradeTo: null, room: null, estimate: { inputTokens: 0, outputTokens: 0, bounded: false } };
    }
    this.stats.failOpen++;
    this.d.events.countersDown('open', err.message);
    return { kind: 'open', planned };
  }

  private remember(planned: Planned, levels: Picos[]): void {
    planned.counters.forEach((c, i) => {
      const level = levels[i];
      if (level !== undefined) this.levels.set(c.budget.id, { level, limit: c.line.limit, marker: c.line.marker, start: c.window.start });
    });
    if (this.levels.size > 50_000) this.levels.clear();
  }

  /** Settlements kept while the counters did not take them (see PendingSettlements): waiting now, and counts since start. */
  get pendingSettlements(): { waiting: number } & PendingSettlements['stats'] {
    return { waiting: this.settler.pending.size, ...this.settler.pending.stats };
  }

  /** At shutdown, after the last request: one last try for kept settlements; how many are left for their leases is logged. */
  close(): Promise<void> {
    return this.settler.close();
  }

  /** Settles holds in one call to the counters (one Redis round trip however many), retrying a failure, then keeping it. */
  private settleHolds(holds: readonly Hold[], items: Settlement[]): Promise<void> {
    return this.settler.settle(holds, items);
  }

  /** Levels after a settlement: remembered for downgrades; thresholds judge settled spend, not what requests in flight hold. */
  private observe(counters: readonly BudgetCounter[], levels: readonly { ref: string; level: Picos; spent: Picos }[]): void {
    for (const { ref, level, spent } of levels) {
      const c = counters.find((x) => x.budget.id === ref);
      if (!c) continue;
      this.levels.set(ref, { level, limit: c.line.limit, marker: c.line.marker, start: c.window.start });
      this.watch.check(c, spent);
    }
  }
}
