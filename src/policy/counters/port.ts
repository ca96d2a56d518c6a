import type { Picos } from '../../core/money.js';

/**
 * The counters behind budgets and rate limits. One process keeps them in memory; replicas
 * share them in Redis, where `reserve` and `settle` each run as one atomic script. The
 * contract suite (contract.ts) runs against both.
 *
 * Spend amounts are integer picodollars, the ledger's own unit, so counters and ledger
 * agree exactly. Stores keep them as exact 64-bit integers (up to $9.2M per bucket);
 * only Redis's Lua compares them as doubles, exact below $9,007 and within a
 * nanodollar above.
 */

/** One budget's counter for the window a request falls in. */
export interface SpendLine {
  /** The rule this line enforces (a budget or pool id), echoed back on refusal. */
  ref: string;
  /**
   * Present once the counter was initialised from the ledger. A window's counter is
   * initialised once (set-if-absent), so a reset never overwrites spend.
   */
  marker: string;
  /** Bucket keys whose spend counts: one for a calendar window, the rolling buckets otherwise. The charged bucket is last. */
  buckets: readonly string[];
  /** The effective limit (increases included). */
  limit: Picos;
  /** Expiry for the buckets and the marker. */
  ttlMs: number;
}

/**
 * Budgets that must all fit. When `pool` is set and any of `lines` does not fit, the
 * whole group is charged to the pool instead (once), if the pool fits.
 */
export interface SpendGroup {
  lines: SpendLine[];
  pool: SpendLine | null;
}

/** Requests or tokens per minute, by the sliding-window approximation (previous minute weighted). */
export interface RateLine {
  ref: string;
  kind: 'rpm' | 'tpm';
  /** This minute's counter and the previous minute's. */
  key: string;
  prevKey: string;
  /** The share of the previous minute still inside the sliding window (0..1). */
  prevWeight: number;
  limit: number;
  /** 1 for rpm; the token estimate for tpm. */
  amount: number;
  ttlMs: number;
}

/** Requests in flight at once; each holds a lease that lapses if the process dies. */
export interface ConcurrencyLine {
  ref: string;
  kind: 'concurrency';
  key: string;
  limit: number;
}

export interface ReservePlan {
  /** The request id; settlement is idempotent on it. */
  id: string;
  now: number;
  /** A reservation not settled by now + leaseMs is released by the next reserve. */
  leaseMs: number;
  /** The request's cost estimate: held on every spend line that is charged. */
  amount: Picos;
  groups: SpendGroup[];
  rates: (RateLine | ConcurrencyLine)[];
}

export type ReserveOutcome =
  | {
      ok: true;
      /** Per group, in plan order: whether its pool paid. */
      pooled: boolean[];
      /** Per spend line (groups in order, lines then pool), spent + held after this reservation. */
      levels: Picos[];
    }
  /**
   * A spend line has no room: `level` is spent + held before this request. `pool` is set when the
   * line's group has a pool, which had no room either: the pool is what refused the request.
   */
  | { ok: false; reason: 'spend'; ref: string; level: Picos; limit: Picos; pool?: { ref: string; level: Picos; limit: Picos } }
  /** A rate line is full: the counts let the caller compute `retry-after`. */
  | { ok: false; reason: 'rate'; ref: string; kind: 'rpm' | 'tpm' | 'concurrency'; current: number; previous: number }
  /** These markers are missing: initialise them from the ledger, then reserve again. */
  | { ok: false; reason: 'uninitialized'; markers: string[] };

/** A reservation to settle: the actual cost and tokens that replace its estimate. */
export interface Settlement {
  id: string;
  actual: Picos;
  tokens: number;
  /**
   * Lines charged another amount than `actual`, by ref: a request that fell back to another
   * model owes a model's budget only that model's attempts.
   */
  split?: ReadonlyMap<string, Picos>;
  /**
   * Lines that cover the request but that its reservation did not hold (a budget made while it
   * ran): each is charged its amount as spent, in the same step, if its counter is initialised (one
   * that is not will be filled from the ledger, which has the request's row). Charged only by the
   * settlement that ends the reservation: not when it was settled or released already.
   */
  late?: readonly LateCharge[];
  /**
   * Set when the request holds no reservation (it was admitted without one): `late` is charged
   * once for this id, which is remembered for `guardMs` so that a repeated settlement changes nothing.
   */
  unreserved?: { guardMs: number };
}

/** A line a request's settlement charges without a reservation on it. */
export interface LateCharge {
  line: SpendLine;
  amount: Picos;
}

export interface SettleOutcome {
  /** For each spend line charged, in reservation order: its ref, spent + held after settling, and spent alone (what thresholds judge). */
  levels: { ref: string; level: Picos; spent: Picos }[];
  /** The same for the `late` lines charged (those initialised), in their order. */
  late?: { ref: string; level: Picos; spent: Picos }[];
}

export interface CounterInit {
  marker: string;
  /** Expiry for the marker. */
  ttlMs: number;
  /** Expiry for the buckets (shorter than the marker's for a rolling window). */
  bucketTtlMs: number;
  /** Spend already in the ledger, per bucket key. */
  amounts: { bucket: string; amount: Picos }[];
}

export interface Counters {
  /** All or nothing: either every line is charged, or none is. */
  reserve(plan: ReservePlan): Promise<ReserveOutcome>;
  /**
   * Replaces each reservation's estimate by its actual cost and tokens, and ends its lease,
   * all in one atomic step (one round trip: a request that fell back holds several).
   * Idempotent: a reservation already settled gets undefined in its place and changes nothing.
   */
  settle(items: readonly Settlement[], now: number): Promise<(SettleOutcome | undefined)[]>;
  /**
   * Moves the lease of each reservation still open (and of its concurrency slots) to `until`:
   * the process serving it is alive, so its hold must outlast the lease of a process that died.
   * Ids settled or released already are left alone.
   */
  renew(ids: readonly string[], now: number, until: number): Promise<void>;
  /** Sets each marker's buckets, only if the marker is absent (so replicas racing to initialise agree). */
  initialize(inits: CounterInit[]): Promise<void>;
  /** Spent and held per line (for status, reconciliation and tests). Missing counters read as zero. */
  read(lines: SpendLine[]): Promise<{ spent: Picos; held: Picos; initialized: boolean }[]>;
  /**
   * Ids of reservations not settled or released yet (their lease may have ended), the soonest
   * lease end first, at most `limit`: what reconciliation --fix looks up in the ledger.
   */
  openReservations(limit: number): Promise<string[]>;
  /** Adds `delta` to a line's current bucket (reconciliation --fix). */
  adjust(line: SpendLine, delta: Picos): Promise<void>;
  /** Calls `fn` each time a shared store can be reached again after it could not (absent when it never goes away). */
  onReconnect?(fn: () => void): void;
  close(): Promise<void>;
}

/** Thrown by a shared store that cannot be reached; budgets then follow their fail mode. */
export class CountersUnavailable extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'CountersUnavailable';
  }
}
