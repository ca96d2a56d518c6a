import type { Logger } from '../core/logger.js';
import type { Picos } from '../core/money.js';
import type { Counters, Settlement } from './counters/port.js';
import type { Opened, Reserved } from './holding.js';
import type { BudgetCounter } from './plan.js';

/** How a request's settlement is retried when the counters do not take it. */
export interface SettleRetry {
  /** Tries in all (4). */
  tries: number;
  /** The pause after the first failed try; each next one is 4 times longer (250 ms: 0.25, 1 and 4 s). */
  firstPauseMs: number;
}

export const DEFAULT_SETTLE_RETRY: SettleRetry = Object.freeze({ tries: 4, firstPauseMs: 250 });

export type Hold = { id: string; r: Reserved | Opened };
/** Levels after a settlement, for the counters the hold charged. */
export type Observe = (counters: readonly BudgetCounter[], levels: readonly { ref: string; level: Picos; spent: Picos }[]) => void;

/**
 * Settles a request's holds in one call to the counters (one Redis round trip however many),
 * off the request's path, retrying a failure.
 */
export class HoldSettler {
  private readonly counters: Counters;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly retry: SettleRetry;
  private readonly observe: Observe;
  private readonly stats: { settleErrors: number };

  constructor(o: { counters: Counters; log: Logger; now: () => number; retry: SettleRetry | undefined; observe: Observe; stats: { settleErrors: number } }) {
    this.counters = o.counters;
    this.log = o.log;
    this.now = o.now;
    this.retry = o.retry ?? DEFAULT_SETTLE_RETRY;
    this.observe = o.observe;
    this.stats = o.stats;
  }

  async settle(holds: readonly Hold[], items: Settlement[]): Promise<void> {
    // Holds admitted open may never have reached the store: one try, and its failure is expected.
    // A reserve that timed out may still have run in Redis: settling releases its hold and
    // counts the actual cost; when it never ran, settling is a no-op.
    const tries = holds.some((x) => x.r.kind === 'reserved') ? Math.max(1, this.retry.tries) : 1;
    for (let attempt = 0; attempt < tries; attempt++) {
      try {
        const outs = await this.counters.settle(items, this.now());
        outs.forEach((out, i) => {
          const r = holds[i]!.r;
          if (out && r.kind === 'reserved') this.observe(r.planned.counters, out.levels);
        });
        return;
      } catch (err) {
        if (tries === 1 && holds.every((x) => x.r.kind === 'open')) return;
        this.stats.settleErrors++;
        if (attempt === tries - 1) {
          this.log.error('could not settle a reservation; reconciliation will report the drift', { ids: items.map((x) => x.id), err: String(err) });
          return;
        }
        await new Promise((ok) => setTimeout(ok, this.retry.firstPauseMs * 4 ** attempt).unref());
      }
    }
  }
}
