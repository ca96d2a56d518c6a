/**
 * The requests still being handled. A request's ledger row is recorded as it ends, and a
 * connection can close before that (the client leaves, or shutdown cuts it): shutdown
 * waits here, not just for the connections, before it closes the ledger writer.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private readonly settled = () => {
    if (--this.count > 0) return;
    for (const w of this.waiters.splice(0)) w();
  };

  track(handled: Promise<unknown>): void {
    this.count++;
    handled.then(this.settled, this.settled);
  }

  get size(): number {
    return this.count;
  }

  /** Resolves true once nothing is in flight, or false after `ms`. */
  idle(ms: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }
}
