import { addressKey } from './client-address.js';

/** `auth.admin_failures`: after `limit` wrong admin tokens from one address within `windowMs`, that address is refused for `blockMs`. */
export interface ThrottleSettings {
  limit: number;
  windowMs: number;
  blockMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { limit: 10, windowMs: 60_000, blockMs: 300_000 };

interface Entry {
  /** When the window of the failures counted began. */
  since: number;
  failures: number;
  /** Refused until then (0: not refused). */
  until: number;
}

/**
 * Wrong admin tokens (admin API, `/metrics`, the dashboard's sign-in, OTLP) counted per client
 * address, in this process's memory: past the limit an address is refused, whatever it sends,
 * until its block ends, so the token cannot be guessed at the speed the gateway answers. Only
 * the routes that take the admin token ask it: a request with a Tollgate key never does.
 */
export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly settings: ThrottleSettings;
  private readonly now: () => number;
  private readonly maxTracked: number;
  private readonly onBlock: ((address: string, s: ThrottleSettings) => void) | undefined;

  constructor(settings: ThrottleSettings, o: { now?: () => number; maxTracked?: number; onBlock?: (address: string, s: ThrottleSettings) => void } = {}) {
    this.settings = settings;
    this.now = o.now ?? Date.now;
    this.maxTracked = o.maxTracked ?? 50_000;
    this.onBlock = o.onBlock;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  wait(address: string): number {
    const e = this.entries.get(address);
    if (e === undefined || e.until === 0) return 0;
    return Math.max(0, e.until - this.now());
  }

  /** A wrong token from `address`. */
  failed(address: string): void {
    const t = this.now();
    let e = this.entries.get(address);
    if (e === undefined || (e.until !== 0 && e.until <= t) || (e.until === 0 && t - e.since >= this.settings.windowMs)) {
      this.entries.delete(address);
      if (this.entries.size >= this.maxTracked) this.makeRoom(t);
      e = { since: t, failures: 0, until: 0 };
      this.entries.set(address, e);
    }
    if (e.until !== 0) return;
    if (++e.failures >= this.settings.limit) {
      e.until = t + this.settings.blockMs;
      this.onBlock?.(address, this.settings);
    }
  }

  /** Addresses counted now (bounded by `maxTracked`). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Drops the entries that no longer count; if none, the oldest not blocked, else the oldest: an
   * attacker drawing on more addresses than this holds gets no further than that many would.
   */
  private makeRoom(t: number): void {
    let unblocked: string | undefined;
    for (const [address, e] of this.entries) {
      if (e.until !== 0 ? e.until <= t : t - e.since >= this.settings.windowMs) this.entries.delete(address);
      else if (e.until === 0) unblocked ??= address;
    }
    if (this.entries.size < this.maxTracked) return;
    this.entries.delete(unblocked ?? this.entries.keys().next().value!);
  }
}

/** One client's try: how long it must still wait (0: it may try now), and how to count it as wrong. */
export interface ThrottledTry {
  wait: number;
  failed(): void;
}

const FREE_TRY: ThrottledTry = Object.freeze({ wait: 0, failed: () => undefined });

/** The try of the client at `client` (see `clientOf`) under `throttle` (none: it never waits and nothing is counted). */
export function throttledTry(throttle: AuthThrottle | undefined, client: string | undefined): ThrottledTry {
  if (throttle === undefined) return FREE_TRY;
  const address = addressKey(client);
  return { wait: throttle.wait(address), failed: () => throttle.failed(address) };
}

/** Whole seconds for a `retry-after` header, never 0. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/** What a client refused by the throttle is told. */
export function throttledMessage(ms: number): string {
  return `Too many wrong admin tokens from this address: it is refused for ${retryAfterSeconds(ms)} s more, whatever it sends (auth.admin_failures).`;
}
