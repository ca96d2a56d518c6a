import type { Picos } from '../core/money.js';
import type { Drift } from './reconcile.js';

export interface DriftReport {
  at: number;
  checked: number;
  /** Budgets whose counters and ledger disagreed in two runs in a row. */
  drifting: { budgetId: string; window: number; driftPicos: Picos }[];
}

/**
 * The reconciliation job: compares counters with the ledger every `everyMs` and reports
 * budgets that disagree. A single disagreement is expected while rows sit in another
 * replica's write buffer, so only drift seen twice in a row for the same window counts.
 */
export class DriftWatch {
  private timer: NodeJS.Timeout | undefined;
  private previous = new Set<string>();
  private running = false;
  last: DriftReport | undefined;
  private readonly run: () => Promise<Drift[]>;
  private readonly report: (r: DriftReport) => void;
  private readonly onError: (err: unknown) => void;
  private readonly now: () => number;

  constructor(o: { run: () => Promise<Drift[]>; report: (r: DriftReport) => void; onError: (err: unknown) => void; now: () => number }) {
    this.run = o.run;
    this.report = o.report;
    this.onError = o.onError;
    this.now = o.now;
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.check(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One run; a run still under way makes this a no-op. */
  async check(): Promise<DriftReport | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const drifts = await this.run();
      const seen = new Set<string>();
      const drifting: DriftReport['drifting'] = [];
      for (const d of drifts) {
        if (d.drift === 0n || !d.initialized) continue;
        const key = `${d.counter.budget.id}:${d.counter.window.start}`;
        seen.add(key);
        if (this.previous.has(key)) drifting.push({ budgetId: d.counter.budget.id, window: d.counter.window.start, driftPicos: d.drift });
      }
      this.previous = seen;
      this.last = { at: this.now(), checked: drifts.length, drifting };
      if (drifting.length > 0) this.report(this.last);
      return this.last;
    } catch (err) {
      this.onError(err);
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
