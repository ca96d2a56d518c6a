import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Counters } from './counters/port.js';

/** Leases are renewed for at most this long after the reservation: a hold whose request never settles still lapses. */
export const MAX_RENEWED_MS = 24 * 3_600_000;
/** Ids sent to the counters in one call. */
const BATCH = 1000;

/**
 * Keeps the leases of this process's reservations alive while their requests run. A lease is for
 * a process that died: without renewal a request running longer than `policy.lease_minutes` (a
 * long stream) lost its hold to the next reservation's sweep while still running, and its
 * settlement then found no reservation and counted nothing, so its cost never reached the counters.
 */
export class LeaseRenewal {
  /** Reservation id -> when it was made. */
  private readonly live = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly d: { counters: Counters; leaseMs: () => number; now: () => number; log: Logger };

  constructor(d: { counters: Counters; leaseMs: () => number; now: () => number; log: Logger }) {
    this.d = d;
  }

  add(id: string): void {
    this.live.set(id, this.d.now());
    // A third of the lease: a renewal that fails once still leaves two more tries before it ends.
    this.timer ??= setInterval(() => void this.renewNow(), Math.max(1000, Math.floor(this.d.leaseMs() / 3))).unref();
  }

  delete(id: string): void {
    this.live.delete(id);
    if (this.live.size === 0) this.stop();
  }

  /** Moves the lease of every reservation still in flight here a lease past now. */
  async renewNow(): Promise<void> {
    const now = this.d.now();
    const ids: string[] = [];
    for (const [id, at] of this.live) {
      if (now - at >= MAX_RENEWED_MS) this.live.delete(id);
      else ids.push(id);
    }
    try {
      for (let i = 0; i < ids.length; i += BATCH) await this.d.counters.renew(ids.slice(i, i + BATCH), now, now + this.d.leaseMs());
      if (this.failing) this.d.log.info('renewed the leases of requests in flight again', { count: ids.length });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.d.log.warn('could not renew the leases of requests in flight; retrying (a request running past policy.lease_minutes may lose its hold meanwhile)', { count: ids.length, err: errorMessage(err) });
      this.failing = true;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
