import type { Picos } from '../../core/money.js';
import type { CounterInit, Counters, LateCharge, ReserveOutcome, ReservePlan, SettleOutcome, Settlement, SpendLine } from './port.js';

interface Bucket {
  spent: bigint;
  held: bigint;
  expires: number;
}

interface Charged {
  ref: string;
  bucket: string;
  buckets: readonly string[];
  ttlMs: number;
}

interface Reservation {
  expires: number;
  amount: bigint;
  charged: Charged[];
  tpm: { key: string; estimate: number; ttlMs: number }[];
  concurrency: string[];
  pooled: boolean[];
}

const SWEEP_EVERY = 1000;

/**
 * Counters for a single gateway process. Each call runs to completion without awaiting,
 * so it is as atomic as the Redis script that does the same for replicas. Keys expire by
 * the clock the caller passes in, so tests can move time.
 */
export class MemoryCounters implements Counters {
  private readonly buckets = new Map<string, Bucket>();
  private readonly markers = new Map<string, number>();
  private readonly rates = new Map<string, { value: number; expires: number }>();
  private readonly concurrency = new Map<string, Map<string, number>>();
  private readonly reservations = new Map<string, Reservation>();
  /** Requests without a reservation whose late lines were charged, until when (Settlement.unreserved). */
  private readonly lateCharged = new Map<string, number>();
  private clock = 0;
  private calls = 0;
  /** The earliest lease end among reservations, so most calls skip the lease sweep. */
  private nextLeaseEnd = Infinity;

  reserve(plan: ReservePlan): Promise<ReserveOutcome> {
    return Promise.resolve(this.reserveNow(plan));
  }

  settle(items: readonly Settlement[], now: number): Promise<(SettleOutcome | undefined)[]> {
    // Like the Redis script, settling releases no other lease: only reserve sweeps.
    if (now > this.clock) this.clock = now;
    return Promise.resolve(items.map((s) => this.settleNow(s)));
  }

  renew(ids: readonly string[], now: number, until: number): Promise<void> {
    if (now > this.clock) this.clock = now;
    for (const id of ids) {
      const r = this.reservations.get(id);
      if (!r || r.expires >= until) continue;
      r.expires = until;
      // Map order is lease order (openReservations): a renewed lease ends last.
      this.reservations.delete(id);
      this.reservations.set(id, r);
      for (const key of r.concurrency) {
        const m = this.concurrency.get(key);
        if (m?.has(id)) m.set(id, until);
      }
    }
    return Promise.resolve();
  }

  initialize(inits: CounterInit[]): Promise<void> {
    const now = this.now();
    for (const init of inits) {
      if (this.markerAlive(init.marker)) continue;
      this.markers.set(init.marker, now + init.ttlMs);
      for (const { bucket, amount } of init.amounts) this.bucket(bucket, init.bucketTtlMs).spent += amount;
    }
    return Promise.resolve();
  }

  read(lines: SpendLine[]): Promise<{ spent: Picos; held: Picos; initialized: boolean }[]> {
    return Promise.resolve(
      lines.map((l) => {
        let spent = 0n;
        let held = 0n;
        for (const key of l.buckets) {
          const b = this.liveBucket(key);
          if (b) {
            spent += b.spent;
            held += b.held;
          }
        }
        return { spent, held, initialized: this.markerAlive(l.marker) };
      }),
    );
  }

  openReservations(limit: number): Promise<string[]> {
    // Leases are all as long: the order they were made in is the order they end in.
    const out: string[] = [];
    for (const id of this.reservations.keys()) {
      if (out.length >= limit) break;
      out.push(id);
    }
    return Promise.resolve(out);
  }

  adjust(line: SpendLine, delta: Picos): Promise<void> {
    this.bucket(line.buckets.at(-1)!, line.ttlMs).spent += delta;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private reserveNow(plan: ReservePlan): ReserveOutcome {
    const { id, now, amount } = plan;
    this.tick(now);
    const allLines = plan.groups.flatMap((g) => (g.pool ? [...g.lines, g.pool] : g.lines));
    const existing = this.reservations.get(id);
    if (existing) return { ok: true, pooled: existing.pooled, levels: allLines.map((l) => this.level(l.buckets)) };

    const missing = [...new Set(allLines.filter((l) => !this.markerAlive(l.marker)).map((l) => l.marker))];
    if (missing.length > 0) return { ok: false, reason: 'uninitialized', markers: missing };

    const charged = new Map<string, SpendLine>();
    const pooled: boolean[] = [];
    const fits = (l: SpendLine) => charged.has(l.ref) || this.level(l.buckets) + amount <= l.limit;
    for (const g of plan.groups) {
      const bad = g.lines.find((l) => !fits(l));
      const payers = !bad ? g.lines : g.pool && fits(g.pool) ? [g.pool] : null;
      if (!payers) {
        const pool = g.pool ? { pool: { ref: g.pool.ref, level: this.level(g.pool.buckets), limit: g.pool.limit } } : {};
        return { ok: false, reason: 'spend', ref: bad!.ref, level: this.level(bad!.buckets), limit: bad!.limit, ...pool };
      }
      for (const l of payers) charged.set(l.ref, l);
      pooled.push(bad !== undefined);
    }

    for (const r of plan.rates) {
      if (r.kind === 'concurrency') {
        const held = this.leases(r.key, now);
        if (held.size + 1 > r.limit) return { ok: false, reason: 'rate', ref: r.ref, kind: r.kind, current: held.size, previous: 0 };
        continue;
      }
      const current = this.liveRate(r.key)?.value ?? 0;
      const previous = this.liveRate(r.prevKey)?.value ?? 0;
      if (Math.floor(previous * r.prevWeight) + current + r.amount > r.limit) return { ok: false, reason: 'rate', ref: r.ref, kind: r.kind, current, previous };
    }

    const reservation: Reservation = { expires: now + plan.leaseMs, amount, charged: [], tpm: [], concurrency: [], pooled };
    for (const l of charged.values()) {
      const key = l.buckets.at(-1)!;
      const b = this.bucket(key, l.ttlMs);
      b.held += amount;
      b.expires = now + l.ttlMs;
      reservation.charged.push({ ref: l.ref, bucket: key, buckets: l.buckets, ttlMs: l.ttlMs });
    }
    for (const r of plan.rates) {
      if (r.kind === 'concurrency') {
        this.leases(r.key, now).set(id, now + plan.leaseMs);
        reservation.concurrency.push(r.key);
        continue;
      }
      const cell = this.liveRate(r.key) ?? { value: 0, expires: 0 };
      cell.value += r.amount;
      cell.expires = now + r.ttlMs;
      this.rates.set(r.key, cell);
      if (r.kind === 'tpm') reservation.tpm.push({ key: r.key, estimate: r.amount, ttlMs: r.ttlMs });
    }
    this.reservations.set(id, reservation);
    this.nextLeaseEnd = Math.min(this.nextLeaseEnd, reservation.expires);
    return { ok: true, pooled, levels: allLines.map((l) => this.level(l.buckets)) };
  }

  private settleNow(s: Settlement): SettleOutcome | undefined {
    const { id, actual, tokens, split } = s;
    const r = this.reservations.get(id);
    if (!r) return s.unreserved && s.late ? this.settleUnreserved(id, s.late, s.unreserved.guardMs) : undefined;
    for (const c of r.charged) {
      const b = this.bucket(c.bucket, c.ttlMs);
      b.held -= r.amount;
      b.spent += split?.get(c.ref) ?? actual;
    }
    for (const t of r.tpm) {
      const cell = this.liveRate(t.key);
      if (cell) cell.value += tokens - t.estimate;
    }
    for (const key of r.concurrency) this.concurrency.get(key)?.delete(id);
    this.reservations.delete(id);
    const levels = r.charged.map((c) => ({ ref: c.ref, level: this.level(c.buckets), spent: this.level(c.buckets, false) }));
    return s.late ? { levels, late: this.chargeLate(s.late) } : { levels };
  }

  private settleUnreserved(id: string, late: readonly LateCharge[], guardMs: number): SettleOutcome | undefined {
    const until = this.lateCharged.get(id);
    if (until !== undefined && until > this.now()) return undefined;
    this.lateCharged.set(id, this.now() + guardMs);
    return { levels: [], late: this.chargeLate(late) };
  }

  /** Adds late lines' amounts to their current buckets, those initialised only (the others start from the ledger). */
  private chargeLate(late: readonly LateCharge[]): SettleOutcome['levels'] {
    const out: SettleOutcome['levels'] = [];
    for (const { line, amount } of late) {
      if (!this.markerAlive(line.marker)) continue;
      const b = this.bucket(line.buckets.at(-1)!, line.ttlMs);
      b.spent += amount;
      b.expires = this.now() + line.ttlMs;
      out.push({ ref: line.ref, level: this.level(line.buckets), spent: this.level(line.buckets, false) });
    }
    return out;
  }

  /** Advances the clock, releases lapsed leases, and now and then drops expired keys. */
  private tick(now: number): void {
    if (now > this.clock) this.clock = now;
    if (now >= this.nextLeaseEnd) this.releaseLapsed(now);
    if (++this.calls % SWEEP_EVERY !== 0) return;
    for (const [k, b] of this.buckets) if (b.expires <= this.clock) this.buckets.delete(k);
    for (const [k, e] of this.markers) if (e <= this.clock) this.markers.delete(k);
    for (const [k, r] of this.rates) if (r.expires <= this.clock) this.rates.delete(k);
    for (const [k, until] of this.lateCharged) if (until <= this.clock) this.lateCharged.delete(k);
  }

  private releaseLapsed(now: number): void {
    this.nextLeaseEnd = Infinity;
    for (const [id, r] of this.reservations) {
      if (r.expires > now) {
        this.nextLeaseEnd = Math.min(this.nextLeaseEnd, r.expires);
        continue;
      }
      for (const c of r.charged) {
        const b = this.liveBucket(c.bucket);
        if (b) b.held -= r.amount;
      }
      for (const key of r.concurrency) this.concurrency.get(key)?.delete(id);
      this.reservations.delete(id);
    }
  }

  private now(): number {
    return this.clock || Date.now();
  }

  /** Spent and held over the buckets; spent alone when `held` is false. */
  private level(keys: readonly string[], held = true): Picos {
    let sum = 0n;
    for (const key of keys) {
      const b = this.liveBucket(key);
      if (b) sum += held ? b.spent + b.held : b.spent;
    }
    return sum;
  }

  private markerAlive(marker: string): boolean {
    const e = this.markers.get(marker);
    return e !== undefined && e > this.now();
  }

  private liveBucket(key: string): Bucket | undefined {
    const b = this.buckets.get(key);
    return b && b.expires > this.now() ? b : undefined;
  }

  private bucket(key: string, ttlMs: number): Bucket {
    let b = this.liveBucket(key);
    if (!b) {
      b = { spent: 0n, held: 0n, expires: this.now() + ttlMs };
      this.buckets.set(key, b);
    }
    return b;
  }

  private liveRate(key: string): { value: number; expires: number } | undefined {
    const r = this.rates.get(key);
    return r && r.expires > this.now() ? r : undefined;
  }

  private leases(key: string, now: number): Map<string, number> {
    let m = this.concurrency.get(key);
    if (!m) {
      m = new Map();
      this.concurrency.set(key, m);
    }
    for (const [id, until] of m) if (until <= now) m.delete(id);
    return m;
  }
}
