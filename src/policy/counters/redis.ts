import { randomUUID } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import type { Picos } from '../../core/money.js';
import { type CounterInit, type Counters, CountersUnavailable, type ReserveOutcome, type ReservePlan, type SettleOutcome, type Settlement, type SpendLine } from './port.js';
import { DatabaseWatch } from './redis-database.js';
import { INITIALIZE, RENEW, RESERVE, SETTLE, totalsKey } from './redis-scripts.js';
import { errorMessage } from '../../core/errors.js';

export interface RedisCountersOptions {
  /** Prefix of the lease set and reservation records; the same as the plan's keys. */
  prefix?: string;
  /** A command that takes longer fails, and budgets follow their fail mode. */
  commandTimeoutMs?: number;
  /** How long the first commands wait for the first connection. */
  connectWaitMs?: number;
}

type ScriptFn = (leases: string, records: string, ...args: string[]) => Promise<string | null>;
type Scripted = Redis & { tgReserve: ScriptFn; tgSettle: ScriptFn; tgInitialize: ScriptFn; tgRenew: ScriptFn };

/**
 * Long enough that a busy gateway whose event loop stalls does not mistake a slow reply
 * for a dead Redis (and fail open); a Redis that refuses connections fails at once anyway.
 */
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Redis replies that mean "not now" rather than a bug in a script. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOSCRIPT)/;

/**
 * Counters shared by every replica. While Redis is down, calls fail at once with
 * CountersUnavailable (no offline queue, no retries), so a request never waits on a
 * dead store; the client reconnects in the background.
 */
export class RedisCounters implements Counters {
  private readonly redis: Scripted;
  private readonly leases: string;
  private readonly records: string;
  private readonly firstConnect: Promise<void>;
  private readonly database: DatabaseWatch;
  /** Where Redis is, for messages (no password), and why the last connection attempt failed. */
  private readonly where: string;
  private lastConnectError: string | undefined;

  constructor(url: string, o: RedisCountersOptions = {}) {
    const prefix = o.prefix ?? '{tg}:';
    this.leases = `${prefix}leases`;
    this.records = `${prefix}r:`;
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
      lazyConnect: false,
    });
    this.where = `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;
    // Errors reach callers as CountersUnavailable; an unhandled 'error' event would kill the process.
    // The connection's own error is kept: a command refused meanwhile only says the stream is closed.
    redis.on('error', (err: Error) => (this.lastConnectError = errorMessage(err)));
    redis.on('ready', () => (this.lastConnectError = undefined));
    this.database = new DatabaseWatch(redis, o.connectWaitMs ?? 2000);
    redis.defineCommand('tgReserve', { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand('tgSettle', { numberOfKeys: 2, lua: SETTLE });
    redis.defineCommand('tgInitialize', { numberOfKeys: 2, lua: INITIALIZE });
    redis.defineCommand('tgRenew', { numberOfKeys: 2, lua: RENEW });
    this.redis = redis as Scripted;
    const wait = o.connectWaitMs ?? 2000;
    this.firstConnect = new Promise<void>((ok) => {
      const done = () => {
        clearTimeout(timer);
        ok();
      };
      const timer = setTimeout(done, wait);
      timer.unref();
      redis.once('ready', done);
      redis.once('end', done);
    });
  }

  async reserve(plan: ReservePlan): Promise<ReserveOutcome> {
    const payload = {
      id: plan.id,
      now: plan.now,
      lease: plan.leaseMs,
      amount: plan.amount.toString(),
      neg: (-plan.amount).toString(),
      groups: plan.groups.map((g) => ({ lines: g.lines.map(wireLine), ...(g.pool ? { pool: wireLine(g.pool) } : {}) })),
      rates: plan.rates.map((r) => (r.kind === 'concurrency' ? r : { ...r, ttl: r.ttlMs })),
    };
    const raw = await this.call(() => this.redis.tgReserve(this.leases, this.records, JSON.stringify(payload)));
    const out = JSON.parse(raw!) as WireOutcome;
    if (out.ok) return { ok: true, pooled: list(out.pooled), levels: list(out.levels).map(BigInt) };
    if (out.reason === 'uninitialized') return { ok: false, reason: 'uninitialized', markers: list(out.markers) };
    if (out.reason === 'rate') return { ok: false, reason: 'rate', ref: out.ref, kind: out.kind, current: out.current, previous: out.previous };
    const group = plan.groups.find((g) => g.lines.some((l) => l.ref === out.ref))!;
    const line = group.lines.find((l) => l.ref === out.ref)!;
    const pool = out.pool !== undefined && group.pool ? { pool: { ref: out.pool, level: BigInt(out.poolLevel!), limit: group.pool.limit } } : {};
    return { ok: false, reason: 'spend', ref: out.ref, level: BigInt(out.level), limit: line.limit, ...pool };
  }

  async settle(items: readonly Settlement[]): Promise<(SettleOutcome | undefined)[]> {
    if (items.length === 0) return [];
    const args: string[] = [];
    for (const s of items) args.push(s.id, s.actual.toString(), String(Math.round(s.tokens)), s.split !== undefined && s.split.size > 0 ? JSON.stringify(Object.fromEntries([...s.split].map(([ref, v]) => [ref, v.toString()]))) : '', wireLate(s));
    const raw = await this.call(() => this.redis.tgSettle(this.leases, this.records, ...args));
    return list(JSON.parse(raw!) as WireSettled[]).map((out) => {
      if (out === false) return undefined;
      if (Array.isArray(out) || !('levels' in out)) return { levels: levelsOf(out) };
      return { levels: levelsOf(out.levels), late: levelsOf(out.late) };
    });
  }

  async renew(ids: readonly string[], now: number, until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.call(() => this.redis.tgRenew(this.leases, this.records, String(until), String(Math.max(1, until - now)), ...ids));
  }

  async initialize(inits: CounterInit[]): Promise<void> {
    if (inits.length === 0) return;
    const wire = inits.map((i) => ({ marker: i.marker, token: randomUUID(), ttl: i.ttlMs, bucketTtl: i.bucketTtlMs, amounts: i.amounts.map((a) => [a.bucket, a.amount.toString()]) }));
    await this.call(() => this.redis.tgInitialize(this.leases, this.records, JSON.stringify(wire)));
  }

  async read(lines: SpendLine[]): Promise<{ spent: Picos; held: Picos; initialized: boolean }[]> {
    const results = await this.call(() => {
      const pipe = this.redis.pipeline();
      for (const l of lines) {
        pipe.exists(l.marker);
        for (const b of l.buckets) pipe.hmget(b, 'spent', 'held');
      }
      return pipe.exec();
    });
    let i = 0;
    const next = (): unknown => {
      const [err, value] = results![i++]!;
      if (err) throw unavailable(err, this.notConnected);
      return value;
    };
    return lines.map((l) => {
      const initialized = next() === 1;
      let spent = 0n;
      let held = 0n;
      for (let k = 0; k < l.buckets.length; k++) {
        const [s, h] = next() as (string | null)[];
        spent += BigInt(s ?? 0);
        held += BigInt(h ?? 0);
      }
      return { spent, held, initialized };
    });
  }

  async openReservations(limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return this.call(() => this.redis.zrange(this.leases, 0, limit - 1));
  }

  async adjust(line: SpendLine, delta: Picos): Promise<void> {
    const bucket = line.buckets.at(-1)!;
    const roll = rollOf(line.buckets, line.ttlMs);
    // A rolling window's totals are rebuilt from its buckets at the next request.
    await this.call(() => (roll ? this.redis.multi().del(totalsKey(roll.base)) : this.redis.multi()).hincrby(bucket, 'spent', delta.toString()).pexpire(bucket, line.ttlMs).exec());
  }

  onReconnect(fn: () => void): void {
    this.redis.on('ready', fn);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /**
   * Throws RedisDatabaseRefused when Redis answers but refuses the URL's database; an
   * unreachable Redis passes (budgets follow their fail mode until it is back).
   */
  async checkDatabase(): Promise<void> {
    await this.database.firstAnswer;
    if (this.database.refused) throw this.database.refused;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    await this.firstConnect;
    // Commands would run in database 0: as good as no Redis, and said why.
    const refused = this.database.refused;
    if (refused) throw new CountersUnavailable(refused.message, { cause: refused });
    try {
      return await fn();
    } catch (err) {
      throw unavailable(err, this.notConnected);
    }
  }

  /** Why Redis cannot be used now, when it cannot (for a start-up line); undefined when it is connected. */
  get notConnected(): string | undefined {
    return this.redis.status === 'ready' ? undefined : `Redis at ${this.where} is not connected${this.lastConnectError ? ` (${this.lastConnectError})` : ''}`;
  }
}

/** `disconnected`: what to say when the connection is down (the client's own error only says its stream is closed). */
function unavailable(err: unknown, disconnected?: string): Error {
  if (err instanceof ReplyError && !TRANSIENT_REPLY.test((err as Error).message)) return err as Error;
  return new CountersUnavailable(disconnected ?? `Redis: ${errorMessage(err)}`, { cause: err });
}

export function openRedisCounters(url: string, o?: RedisCountersOptions): RedisCounters {
  return new RedisCounters(url, o);
}

/** Counters for `tollgate serve`: start-up fails when Redis refuses the URL's database. */
export async function startRedisCounters(url: string, o?: RedisCountersOptions): Promise<RedisCounters> {
  const counters = new RedisCounters(url, o);
  try {
    await counters.checkDatabase();
  } catch (err) {
    await counters.close();
    throw err;
  }
  return counters;
}

type WireLevels = [string, string, string][] | Record<string, never>;
type WireSettled = false | WireLevels | { levels: WireLevels; late: WireLevels };

function levelsOf(out: WireLevels): { ref: string; level: Picos; spent: Picos }[] {
  return list(out).map(([ref, level, spent]) => ({ ref, level: BigInt(level), spent: BigInt(spent) }));
}

/** A settlement's late lines as the SETTLE script takes them, or '' when it has none. */
function wireLate(s: Settlement): string {
  if (!s.late || s.late.length === 0) return '';
  return JSON.stringify({ l: s.late.map((c) => ({ ...wireLine(c.line), amount: c.amount.toString() })), ...(s.unreserved ? { g: Math.max(1, Math.round(s.unreserved.guardMs)) } : {}) });
}

function wireLine(l: SpendLine) {
  // Totals must lapse before a bucket that left the window does (redis-scripts.ts, sumTtl).
  const roll = rollOf(l.buckets, l.ttlMs);
  return { ref: l.ref, marker: l.marker, ...(roll ? { roll } : { buckets: l.buckets }), last: l.buckets.at(-1)!, limit: Number(l.limit), ttl: l.ttlMs };
}

/** A rolling window as the scripts take it: its buckets' key base, first start, step and count. */
interface Roll {
  base: string;
  first: number;
  step: number;
  n: number;
}

/** Per bucket list (plan.ts hands out the same frozen array while a window holds): its roll, or null. */
const rolls = new WeakMap<readonly string[], Roll | null>();

/**
 * The roll of a rolling window's buckets (one key base, evenly spaced starts); undefined for a
 * single bucket, keys of any other shape, or buckets that outlive the window by too little:
 * the scripts then sum such a line bucket by bucket.
 */
export function rollOf(buckets: readonly string[], ttlMs: number): Roll | undefined {
  let roll = rolls.get(buckets);
  if (roll === undefined) {
    roll = parseRoll(buckets);
    rolls.set(buckets, roll);
  }
  return roll && ttlMs - (roll.n + 2) * roll.step >= MIN_SUM_TTL_MS ? roll : undefined;
}

/** Below this, a rolling window's totals would lapse too soon to be worth keeping. */
const MIN_SUM_TTL_MS = 60_000;

function parseRoll(buckets: readonly string[]): Roll | null {
  if (buckets.length < 2) return null;
  const cut = buckets[0]!.lastIndexOf(':') + 1;
  const base = buckets[0]!.slice(0, cut);
  const starts = buckets.map((b) => (b.startsWith(base) && /^\d{1,15}$/.test(b.slice(cut)) ? Number(b.slice(cut)) : NaN));
  const step = starts[1]! - starts[0]!;
  if (!(step > 0) || starts.some((v, i) => v !== starts[0]! + i * step)) return null;
  return { base, first: starts[0]!, step, n: buckets.length };
}

/** cjson encodes an empty array as `{}`. */
function list<T>(v: T[] | Record<string, never> | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

type WireOutcome =
  | { ok: true; pooled: boolean[] | Record<string, never>; levels: string[] | Record<string, never> }
  | { ok: false; reason: 'uninitialized'; markers: string[] }
  | { ok: false; reason: 'rate'; ref: string; kind: 'rpm' | 'tpm' | 'concurrency'; current: number; previous: number }
  | { ok: false; reason: 'spend'; ref: string; level: string; pool?: string; poolLevel?: string };
