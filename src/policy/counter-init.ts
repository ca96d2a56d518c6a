import type { CounterInit, Counters } from './counters/port.js';
import type { BudgetCounter, Planned } from './plan.js';

/** Initialises missing counters from the ledger, once per marker however many requests wait. */
export class CounterInitializer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly fromLedger: (c: BudgetCounter, now: number) => Promise<CounterInit>;
  private readonly counters: Counters;

  constructor(fromLedger: (c: BudgetCounter, now: number) => Promise<CounterInit>, counters: Counters) {
    this.fromLedger = fromLedger;
    this.counters = counters;
  }

  async run(planned: Planned, markers: string[], now: number): Promise<void> {
    await Promise.all(
      markers.map((marker) => {
        let p = this.running.get(marker);
        if (!p) {
          const counter = planned.counters.find((c) => c.line.marker === marker);
          if (!counter) return Promise.resolve();
          p = this.fromLedger(counter, now)
            .then((init) => this.counters.initialize([init]))
            .finally(() => this.running.delete(marker));
          this.running.set(marker, p);
        }
        return p;
      }),
    );
  }
}
