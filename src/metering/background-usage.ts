import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { rowTier } from '../core/service-tier.js';
import { USAGE_KEYS, type Usage, usageOf } from '../core/usage.js';
import { type SettledSpend, settledSpendOf } from '../policy/settled-spend.js';
import { AfterResponse } from './after-response.js';
import type { LedgerStore } from '../storage/ports.js';
import type { PriceFn, PriceResult } from './build-row.js';

/** The APIs whose requests may run in the background: their usage comes when what they made is seen finished. */
export type BackgroundApi = 'openai.responses' | 'gemini.interactions';

/** A stored response (or interaction) looked up finished, with its usage (see StoredResponses). */
export interface FinishedResponse {
  /** The API of the request that made it, whose row waits for this usage. */
  api: BackgroundApi;
  responseId: string;
  usage: Usage;
  /** The model the finished response names. */
  servedModel: string | undefined;
  serviceTier: string | undefined;
  /** Seen created in the background through this process (its row may still be in the writer's queue). */
  local: boolean;
  /** The response says it was created in the background. */
  background: boolean;
}

export interface BackgroundUsageDeps {
  ledger: Pick<LedgerStore, 'pendingResponse' | 'upsert' | 'attempts'>;
  price: PriceFn;
  /** The pricing catalog of a configured provider, by name. */
  catalogOf: (provider: string) => string | undefined;
  /** Counts the usage and cost in the gateway's metrics (a row of them alone); absent without metrics. */
  observe?: (usage: LedgerRow) => void;
  /** Charges the creator's budgets; absent without spend controls. */
  charge?: (spend: SettledSpend) => Promise<void>;
  log: Logger;
  /**
   * Waits before looking again for a background response's creation row not found, or after a
   * failure: the row may still be in a writer's queue (this process's or another replica's), or
   * storage may be down for a while.
   */
  retryMs?: readonly number[];
}

const RETRY_MS = [100, 1000, 5000, 30_000, 120_000];


/** Only a row still without usage is settled, in the upsert's own transaction. */
export const STILL_PENDING = { replaceIf: (stored: LedgerRow) => stored.usageSource === 'none' };

/**
 * Bills a background response's usage to the row of the request that created it. Such a
 * response is answered `queued`, without usage, and its creation row is recorded with usage
 * `none`; its usage shows when it is looked up finished, perhaps through another replica or
 * after a restart. That row, found in storage by the response id, is replaced by itself with
 * the usage and its cost (priced as the gateway prices rows, at the model the finished response
 * names), by an upsert that keeps the rollups right; the replica whose upsert changed the row
 * charges the creator's budgets, so that two replicas settling the same response bill it once.
 * The lookup's own row stays free.
 *
 * Runs after the lookup's response, never on its path, and never throws: failures are logged.
 */
export class BackgroundUsage {
  private readonly d: BackgroundUsageDeps;
  private readonly retryMs: readonly number[];
  /** Responses being settled by this process: a second lookup meanwhile leaves it to the first. */
  private readonly busy = new Set<string>();
  private readonly after = new AfterResponse();
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(d: BackgroundUsageDeps) {
    this.d = d;
    this.retryMs = d.retryMs ?? RETRY_MS;
  }

  /** Settles a finished response's usage in the background. */
  finished(r: FinishedResponse): void {
    if (this.closed || this.busy.has(r.responseId)) return;
    this.busy.add(r.responseId);
    this.after.run(
      () => this.settle(r).finally(() => this.busy.delete(r.responseId)),
      (err) => this.d.log.error('could not bill a background response’s usage', { responseId: r.responseId, usage: usageText(r), err: String(err) }),
    );
  }

  /** Stops looking again for rows not found yet (each is logged), and waits for the writes under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.wakers]) wake();
    await this.after.drain();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((ok) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        ok();
      };
      const timer = setTimeout(done, ms).unref();
      this.wakers.add(done);
    });
  }

  private async settle(r: FinishedResponse): Promise<void> {
    // Only a response this process saw created, or one that says it was made in the background,
    // can have a row waiting; any other finds none at once and is not looked for again.
    const tries = r.local || r.background ? this.retryMs.length + 1 : 1;
    for (let i = 0; i < tries; i++) {
      if (i > 0) await this.sleep(this.retryMs[i - 1]!);
      if (this.closed && i > 0) {
        this.d.log.warn('shutting down before a background response’s creation row was found: its usage is not billed', { responseId: r.responseId, usage: usageText(r) });
        return;
      }
      let spend: SettledSpend | undefined;
      try {
        const row = await this.d.ledger.pendingResponse(r.responseId, r.api);
        if (row === undefined) continue;
        spend = await this.bill(row, r);
      } catch (err) {
        if (i === tries - 1) throw err;
        this.d.log.warn('could not bill a background response’s usage yet; trying again', { responseId: r.responseId, err: String(err) });
        continue;
      }
      if (spend !== undefined && this.d.charge !== undefined) {
        // The ledger has it: a counter that missed it shows as drift, which reconciliation corrects.
        await this.d.charge(spend).catch((err: unknown) => this.d.log.error('could not add a background response’s cost to its budgets; reconciliation will report the drift', { id: spend.id, err: String(err) }));
      }
      return;
    }
  }

  /** Writes the usage onto the creation row; returns the spend to charge when this process changed it. */
  private async bill(row: LedgerRow, r: FinishedResponse): Promise<SettledSpend | undefined> {
    const model = r.servedModel || row.model;
    let priced: PriceResult;
    try {
      priced = this.d.price({ provider: row.provider, catalogProvider: this.d.catalogOf(row.provider), model, usage: r.usage, at: new Date(row.ts), serviceTier: r.serviceTier });
    } catch (err) {
      this.d.log.error('pricing failed; recording the background response’s usage unpriced', { id: row.id, err: String(err) });
      priced = { costPicos: null, unpriced: true };
    }
    const settled: LedgerRow = { ...row, model, usageSource: 'final', unpriced: row.unpriced || priced.unpriced };
    const tier = rowTier(r.serviceTier, r.usage.speed, r.usage.inferenceGeo);
    if (tier !== null) settled.serviceTier = tier;
    // Added to the row's own: on a routed request, earlier attempts (which the delivered one's usage does not include) are in it.
    for (const k of USAGE_KEYS) settled[k] += r.usage[k];
    if (settled.costPicos !== null) settled.costPicos = priced.costPicos === null ? null : settled.costPicos + priced.costPicos;
    const tries = await this.d.ledger.attempts(row.id);
    if (tries.length > 0) {
      // The attempt whose answer the client received was the queued one: it is the one that gets the usage.
      const delivered = tries.findIndex((a) => a.delivered);
      const at = delivered >= 0 ? delivered : tries.length - 1;
      settled.attemptLog = tries.map((a, i) => (i === at ? { ...a, ...usageOf(r.usage), usageSource: 'final', costPicos: priced.costPicos } : a));
    }
    // Zero when another process settled it first (or at the same time): that one charges the budgets.
    const changed = await this.d.ledger.upsert([settled], [], STILL_PENDING);
    if (changed === 0) return undefined;
    this.d.observe?.({ ...settled, ...usageOf(r.usage), costPicos: priced.costPicos, unpriced: priced.unpriced });
    if (priced.costPicos === null || priced.costPicos <= 0n) return undefined;
    // Budgets as admission saw the request: the model it was recorded with when created.
    return settledSpendOf(row, priced.costPicos);
  }
}

/** The usage, for a log line that is then its only record. */
function usageText(r: FinishedResponse): string {
  return `model=${r.servedModel ?? ''} input=${r.usage.inputTokens} output=${r.usage.outputTokens} cache_read=${r.usage.cacheReadTokens}`;
}
