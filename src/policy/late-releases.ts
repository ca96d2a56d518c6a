import type { Logger } from '../core/logger.js';
import type { Settlement } from './counters/port.js';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;
/** Ids held at most; past it the lease lets a reservation go (`policy.lease_minutes`). */
const MAX_IDS = 100_000;
/** Ids settled per call to the counters. */
const PER_CALL = 500;

/**
 * Reservations nobody is left to settle. A request refused because the counters did not answer
 * (`fail: closed`) may still have its reserve run: the command waits on the connection and runs
 * when Redis answers again, and its hold (budget spend, a concurrency slot) would then stand for
 * the whole lease; such an id is settled at zero. A request whose process died has its row
 * recorded at the next start, and is settled at that row's cost. All in one call, retried with a
 * growing pause until the counters take it. Settling an id whose reserve never ran (or was
 * settled already) changes nothing.
 */
export class LateReleases {
  private readonly ids = new Map<string, Settlement>();
  private timer: NodeJS.Timeout | undefined;
  private delay = FIRST_DELAY_MS;
  private readonly settle: (items: Settlement[]) => Promise<unknown>;
  private readonly log: Logger;

  constructor(settle: (items: Settlement[]) => Promise<unknown>, log: Logger) {
    this.settle = settle;
    this.log = log;
  }

  add(id: string, actual: Settlement['actual'] = 0n, tokens = 0): void {
    if (this.ids.size >= MAX_IDS) return;
    this.ids.set(id, { id, actual, tokens });
    if (this.timer === undefined) this.schedule(0);
  }

  /** Ids not yet released. */
  get size(): number {
    return this.ids.size;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const items = [...this.ids.values()];
    try {
      for (let i = 0; i < items.length; i += PER_CALL) {
        const part = items.slice(i, i + PER_CALL);
        await this.settle(part);
        for (const s of part) this.ids.delete(s.id);
      }
      this.delay = FIRST_DELAY_MS;
    } catch (err) {
      if (this.delay === FIRST_DELAY_MS) this.log.warn('could not yet release the reservations of requests refused while the counters were down, or served by a process that died; retrying', { ids: this.ids.size, err: String(err) });
      this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    }
    this.timer = undefined;
    if (this.ids.size > 0) this.schedule(this.delay);
  }
}
