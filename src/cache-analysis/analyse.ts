import type { CacheRow } from '../core/ledger-row.js';
import { type Picos, roundHalfUp } from '../core/money.js';
import { minCacheableTokens } from './auto-breakpoints.js';
import { driftFinding, firstDifference, isReorder, tokensBetween } from './drift.js';
import { PriceMoves } from './price-moves.js';
import { decodePrefix } from './prefix.js';
import type { Seen, Sequence } from './seen.js';
import { type GroupAcc, groupFindings, groupOf, groupStats, newGroup, sideOf } from './group.js';
import type { AutoCacheComparison, CacheReport, CacheReportOptions, Finding, GroupStats } from './types.js';

export * from './types.js';

const MINUTE = 60_000;
const TTL_5M = 5 * MINUTE;
const TTL_1H = 60 * MINUTE;
const WEEK_MS = 7n * 86_400_000n;
const EXAMPLES = 3;

/** Within a cache scope: a running prefix hash, or `session:<id>` for a write without a prefix. */
type EntryKey = number | string;

interface PendingWrite {
  seen: Seen;
  key: EntryKey;
  ttl: number;
  tokens: number;
  done: boolean;
}

/**
 * The prompt-cache analyser: fed ledger rows in time order (as `scan` yields them), it keeps
 * only an hour of state, so it runs over any window in bounded memory. Pure: no I/O.
 */
export class CacheAnalyser {
  private readonly o: CacheReportOptions;
  private readonly moves: PriceMoves;
  private readonly groups = new Map<string, GroupAcc>();
  private readonly sequences = new Map<string, Sequence>();
  /** Per cache scope: running prefix hash → when a request last carried it. */
  private readonly recent = new Map<string, Map<number, number>>();
  /** Writes not yet read back, oldest first: one queue per TTL, so each expires in order. */
  private readonly pending = new Map<number, PendingWrite[]>([
    [TTL_5M, []],
    [TTL_1H, []],
  ]);
  private readonly pendingByKey = new ScopedMap<PendingWrite[]>();
  /** 5-minute writes that lapsed unread, kept for an hour to see whether a 1-hour TTL would have paid. */
  private lapsed: PendingWrite[] = [];
  private readonly lapsedByKey = new ScopedMap<PendingWrite>();
  private first: number | undefined;
  private last: number | undefined;
  private lastPrune = 0;

  constructor(o: CacheReportOptions) {
    this.o = o;
    this.moves = new PriceMoves(o.price);
  }

  add(row: CacheRow): void {
    if (row.status >= 400 || row.outcome !== 'ok') return;
    this.first ??= row.ts;
    this.last = row.ts;
    const s = this.see(row);
    const g = this.group(s.group);
    g.requests++;
    g.input += row.inputTokens;
    g.read += row.cacheReadTokens;
    g.write += row.cacheWriteTokens;
    g.cost += row.costPicos ?? 0n;
    g.modelCounts.set(row.model, (g.modelCounts.get(row.model) ?? 0) + 1);
    const side = g.auto[row.tags.cache === 'auto' ? 1 : 0];
    side.requests++;
    side.input += row.inputTokens;
    side.read += row.cacheReadTokens;
    side.cost += row.costPicos ?? 0n;
    this.expire(row.ts);
    this.readBack(s);
    if (s.prefix) {
      g.hashed++;
      g.est += s.prefix.e;
      g.repeated += this.repeatedTokens(s);
      this.drift(s);
      this.missingBreakpoint(s, g);
    }
    this.recordWrite(s, g);
    if (s.prefix) this.remember(s);
  }

  finish(): CacheReport {
    this.expire(Number.POSITIVE_INFINITY);
    const windowMs = this.windowMs();
    const weekly = (p: Picos) => (windowMs > 0 ? roundHalfUp(p * WEEK_MS, BigInt(windowMs)) : 0n);
    const findings: Finding[] = [];
    for (const q of this.sequences.values()) {
      const f = driftFinding(q);
      if (f) findings.push({ ...f, weeklyPicos: weekly(f.windowPicos) });
    }
    const groups: GroupStats[] = [];
    const autoCache: AutoCacheComparison[] = [];
    for (const [key, g] of this.groups) {
      groups.push(groupStats(key, g));
      findings.push(...groupFindings(key, g, weekly));
      if (g.auto[1].requests > 0) autoCache.push({ group: key, without: sideOf(g.auto[0]), withAuto: sideOf(g.auto[1]) });
    }
    findings.sort((a, b) => (b.weeklyPicos > a.weeklyPicos ? 1 : b.weeklyPicos < a.weeklyPicos ? -1 : a.group.localeCompare(b.group)));
    groups.sort((a, b) => (b.costPicos > a.costPicos ? 1 : b.costPicos < a.costPicos ? -1 : a.key.localeCompare(b.key)));
    return { by: this.o.by, since: this.o.since, until: this.o.until, windowMs, groups, findings, autoCache };
  }

  private windowMs(): number {
    if (this.o.since !== undefined && this.o.until !== undefined) return this.o.until - this.o.since;
    const from = this.o.since ?? this.first;
    const to = this.o.until ?? (this.last === undefined ? undefined : this.last + 1);
    // A window guessed from the rows themselves is at least an hour, so a burst is not scaled up absurdly.
    return from === undefined || to === undefined ? 0 : Math.max(to - from, TTL_1H);
  }

  private see(row: CacheRow): Seen {
    const prefix = decodePrefix(row.prefix);
    const cum: number[] = [];
    let staticLen = 0;
    if (prefix) {
      let x = 0x811c9dc5;
      let y = 0x01000193;
      for (const [kind, h] of prefix.b) {
        x = mix(x ^ parseInt(h.slice(0, 8), 16), 0x9e3779b1);
        y = mix(y ^ parseInt(h.slice(8, 16), 16), 0x85ebca77);
        cum.push((x >>> 0) * 2 ** 21 + (y >>> 11));
        if (kind !== 'm' && staticLen === cum.length - 1) staticLen++;
      }
    }
    const scale = prefix && prefix.e > 0 && row.inputTokens > 0 ? row.inputTokens / prefix.e : 1;
    return { row, group: groupOf(row, this.o.by), scope: `${row.provider}\u0000${row.model}`, prefix, cum, staticLen, scale };
  }

  private group(key: string): GroupAcc {
    let g = this.groups.get(key);
    if (!g) {
      g = newGroup();
      this.groups.set(key, g);
    }
    return g;
  }

  /** Estimated tokens of the longest prefix this request shares with one seen in the hour before. */
  private repeatedTokens(s: Seen): number {
    const seen = this.recent.get(s.scope);
    if (!seen) return 0;
    let tokens = 0;
    let run = 0;
    for (let i = 0; i < s.cum.length; i++) {
      run += s.prefix!.b[i]![2];
      const at = seen.get(s.cum[i]!);
      if (at !== undefined && s.row.ts - at <= TTL_1H) tokens = run;
    }
    return tokens;
  }

  private remember(s: Seen): void {
    let seen = this.recent.get(s.scope);
    if (!seen) this.recent.set(s.scope, (seen = new Map<number, number>()));
    for (const c of s.cum) seen.set(c, s.row.ts);
    if (s.row.ts - this.lastPrune > 10 * MINUTE) {
      this.lastPrune = s.row.ts;
      for (const m of this.recent.values()) for (const [k, at] of m) if (s.row.ts - at > TTL_1H) m.delete(k);
    }
  }

  /** The cache entry a write creates: the prefix up to its last breakpoint (or the whole session, unhashed). */
  private writeKey(s: Seen): EntryKey | undefined {
    if (s.prefix && s.cum.length > 0) {
      const last = s.prefix.bp.at(-1)?.[0] ?? s.cum.length - 1;
      return s.cum[Math.min(last, s.cum.length - 1)];
    }
    return s.row.sessionId === null ? undefined : `session:${s.row.sessionId}`;
  }

  private recordWrite(s: Seen, g: GroupAcc): void {
    if (s.row.cacheWriteTokens <= 0) return;
    g.writes++;
    const key = this.writeKey(s);
    if (key === undefined) return;
    const lapsed = this.lapsedByKey.get(s.scope, key);
    if (lapsed && !lapsed.done && s.row.ts - lapsed.seen.row.ts <= TTL_1H) {
      // Written again after the 5-minute entry lapsed: a 1-hour TTL would have made this a read.
      lapsed.done = true;
      const t = Math.min(lapsed.tokens, s.row.cacheWriteTokens);
      const net = this.moves.writeToRead(s.row, t) + this.moves.write5mTo1h(lapsed.seen.row, t);
      if (net > 0n) {
        const lg = this.group(lapsed.seen.group);
        lg.ttlSaving += net;
        lg.ttlCount++;
        if (lg.ttlExamples.length < EXAMPLES) lg.ttlExamples.push(lapsed.seen.row.id, s.row.id);
      }
    }
    const ttl = s.row.cacheWrite1hTokens > 0 ? TTL_1H : TTL_5M;
    const p: PendingWrite = { seen: s, key, ttl, tokens: s.row.cacheWriteTokens, done: false };
    this.pending.get(ttl)!.push(p);
    let list = this.pendingByKey.get(s.scope, key);
    if (!list) this.pendingByKey.set(s.scope, key, (list = []));
    list.push(p);
  }

  /** A request that read from the cache reads back every pending write of a prefix it carries. */
  private readBack(s: Seen): void {
    if (s.row.cacheReadTokens <= 0) return;
    const byKey = this.pendingByKey.in(s.scope);
    if (!byKey) return;
    const take = (key: EntryKey) => {
      const list = byKey.get(key);
      if (!list) return;
      for (const p of list) if (s.row.ts - p.seen.row.ts <= p.ttl) p.done = true;
      byKey.delete(key);
    };
    if (s.prefix) for (const c of s.cum) take(c);
    if (s.row.sessionId !== null) take(`session:${s.row.sessionId}`);
  }

  /** Writes whose TTL ran out unread are wasted. */
  private expire(now: number): void {
    for (const [ttl, queue] of this.pending) {
      let i = 0;
      while (i < queue.length && (queue[i]!.done || now - queue[i]!.seen.row.ts > ttl)) this.settle(queue[i++]!);
      if (i > 0) this.pending.set(ttl, queue.slice(i));
    }
    let j = 0;
    while (j < this.lapsed.length && (this.lapsed[j]!.done || now - this.lapsed[j]!.seen.row.ts > TTL_1H)) {
      const p = this.lapsed[j++]!;
      if (this.lapsedByKey.get(p.seen.scope, p.key) === p) this.lapsedByKey.delete(p.seen.scope, p.key);
    }
    if (j > 0) this.lapsed = this.lapsed.slice(j);
  }

  /** Takes a write off the pending queues; unread, it is wasted, and a 5-minute one is kept to test a 1-hour TTL. */
  private settle(p: PendingWrite): void {
    const list = this.pendingByKey.get(p.seen.scope, p.key);
    if (list) {
      const at = list.indexOf(p);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.pendingByKey.delete(p.seen.scope, p.key);
    }
    if (p.done) return;
    const g = this.group(p.seen.group);
    g.wasted++;
    g.wastedTokens += p.tokens;
    g.wastedPicos += this.moves.writeToInput(p.seen.row, p.tokens);
    if (g.wastedExamples.length < EXAMPLES) g.wastedExamples.push(p.seen.row.id);
    if (p.ttl === TTL_5M) {
      this.lapsed.push(p);
      this.lapsedByKey.set(p.seen.scope, p.key, p);
    }
  }

  private drift(s: Seen): void {
    if (s.staticLen === 0) return;
    const id = `${s.group}\u0000${s.scope}\u0000${s.row.tags.workflow ?? ''}`;
    let q = this.sequences.get(id);
    if (!q) {
      q = {
        group: s.group, model: s.row.model, prev: undefined, pairs: 0, drift: 0, reorder: 0,
        sameSessionPairs: 0, sameSessionDrift: 0, crossSessionPairs: 0, crossSessionDrift: 0,
        positions: new Map(), saving: 0n, examples: [], sample: undefined,
      };
      this.sequences.set(id, q);
    }
    const prev = q.prev;
    q.prev = s;
    if (!prev) return;
    q.pairs++;
    const same = prev.row.sessionId !== null && prev.row.sessionId === s.row.sessionId;
    if (same) q.sameSessionPairs++;
    else q.crossSessionPairs++;
    const d = firstDifference(prev, s);
    if (d === undefined) return;
    q.drift++;
    if (same) q.sameSessionDrift++;
    else q.crossSessionDrift++;
    if (isReorder(prev, s)) q.reorder++;
    q.positions.set(d, (q.positions.get(d) ?? 0) + 1);
    if (q.examples.length < EXAMPLES) q.examples.push(s.row.id);
    q.sample ??= s;
    const ttl = s.row.cacheWrite1hTokens > 0 ? TTL_1H : TTL_5M;
    if (s.row.ts - prev.row.ts <= ttl) q.saving += this.driftSaving(s, d);
  }

  /** What the request would have saved had its static prefix matched the previous call's. */
  private driftSaving(s: Seen, d: number): Picos {
    const row = s.row;
    const lastBp = s.prefix!.bp.at(-1)?.[0];
    const staticTokens = Math.round(tokensBetween(s, d, s.staticLen) * s.scale);
    if (row.cacheWriteTokens > 0 && lastBp !== undefined) {
      // The breakpoint sits inside the static part: everything written is static, by the provider's own count.
      if (lastBp < s.staticLen && d <= lastBp) return this.moves.writeToRead(row, row.cacheWriteTokens);
      if (lastBp >= s.staticLen) return this.moves.writeToRead(row, Math.min(row.cacheWriteTokens, staticTokens));
      return 0n;
    }
    // Automatic prefix caching (OpenAI, Gemini) needs no breakpoint; Anthropic does (see missing_breakpoint).
    if (row.api !== 'anthropic.messages' && lastBp === undefined) return this.moves.inputToRead(row, staticTokens);
    return 0n;
  }

  private missingBreakpoint(s: Seen, g: GroupAcc): void {
    const p = s.prefix!;
    if (s.row.api !== 'anthropic.messages' || p.bp.length > 0 || s.staticLen === 0 || s.row.cacheReadTokens > 0) return;
    const tokens = Math.round(tokensBetween(s, 0, s.staticLen) * s.scale);
    if (tokens < minCacheableTokens(s.row.model)) return;
    const at = this.recent.get(s.scope)?.get(s.cum[s.staticLen - 1]!);
    if (at !== undefined && s.row.ts - at <= TTL_5M) {
      g.missingSaving += this.moves.inputToRead(s.row, tokens);
      g.missingCount++;
      g.missingModel ||= s.row.model;
      if (g.missingExamples.length < EXAMPLES) g.missingExamples.push(s.row.id);
    } else {
      // The first call of a prefix would have paid a write.
      g.missingSaving += this.moves.inputToWrite(s.row, tokens);
    }
  }
}

/**
 * Cache entries by scope (provider and model), then by key: a lookup builds no string, which
 * mattered when every request that read the cache looked up each of its prefix hashes.
 */
class ScopedMap<V> {
  private readonly m = new Map<string, Map<EntryKey, V>>();

  in(scope: string): Map<EntryKey, V> | undefined {
    return this.m.get(scope);
  }

  get(scope: string, key: EntryKey): V | undefined {
    return this.m.get(scope)?.get(key);
  }

  set(scope: string, key: EntryKey, v: V): void {
    let inner = this.m.get(scope);
    if (!inner) this.m.set(scope, (inner = new Map<EntryKey, V>()));
    inner.set(key, v);
  }

  delete(scope: string, key: EntryKey): void {
    this.m.get(scope)?.delete(key);
  }
}

function mix(v: number, k: number): number {
  let h = Math.imul(v, k);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d);
}
