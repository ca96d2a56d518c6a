import type { CacheRow } from '../core/ledger-row.js';
import { type Picos, roundHalfUp } from '../core/money.js';
import { EXAMPLES, TTL_1H, TTL_5M } from './constants.js';
import { driftFinding, trackDrift } from './drift.js';
import { missingBreakpoint } from './missing-breakpoint.js';
import { PriceMoves } from './price-moves.js';
import { PrefixScan } from './prefix-scan.js';
import { PrefixTable } from './prefix-table.js';
import type { PendingWrite, Seen, Sequence } from './seen.js';
import { type GroupAcc, countModel, groupFindings, groupOf, groupStats, newGroup, sideOf } from './group.js';
import { type EntryKey, Queue, ScopedMap } from './collections.js';
import type { AutoCacheComparison, CacheReport, CacheReportOptions, Finding, GroupStats } from './types.js';

export * from './types.js';

const WEEK_MS = 7n * 86_400_000n;

/**
 * The prompt-cache analyser: fed ledger rows in time order (as `scan` yields them), it keeps
 * only an hour of state, so it runs over any window in bounded memory. Pure: no I/O.
 */
export class CacheAnalyser {
  private readonly o: CacheReportOptions;
  private readonly moves: PriceMoves;
  private readonly groups = new Map<string, GroupAcc>();
  private readonly sequences = new Map<string, Sequence>();
  /** The current row's prefix, and per block its slot in `recent` and when a request carried it before. */
  private readonly scan = new PrefixScan();
  private slots = new Int32Array(128);
  private before = new Float64Array(128);
  /** Per cache scope and running prefix hash: when a request last carried it, and its writes not yet read back. */
  private readonly recent = new PrefixTable();
  /** The pending-write lists `recent.pend` points into; free ones are reused. */
  private readonly lists: PendingWrite[][] = [];
  private readonly freeLists: number[] = [];
  private readonly scopes = new Map<string, number>();
  /** Writes not yet read back, oldest first: one queue per TTL, so each expires in order. */
  private readonly pending = new Map<number, Queue<PendingWrite>>([
    [TTL_5M, new Queue()],
    [TTL_1H, new Queue()],
  ]);
  /** Pending writes of requests without a prefix, by session. */
  private readonly sessionPending = new ScopedMap<PendingWrite[]>();
  /** 5-minute writes that lapsed unread, kept for an hour to see whether a 1-hour TTL would have paid. */
  private readonly lapsed = new Queue<PendingWrite>();
  private readonly lapsedByKey = new ScopedMap<PendingWrite>();
  private first: number | undefined;
  private last: number | undefined;

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
    const side = g.auto[row.tags.cache === 'auto' ? 1 : 0];
    side.requests++;
    side.input += row.inputTokens;
    side.read += row.cacheReadTokens;
    side.cost += row.costPicos ?? 0n;
    this.expire(row.ts);
    if (s.hashed) this.lookUp(s);
    this.readBack(s);
    if (s.hashed) {
      g.hashed++;
      g.est += this.scan.e;
      g.repeated += this.repeatedTokens(s);
      trackDrift(this.sequences, this.scan, this.moves, s);
      missingBreakpoint(this.scan, this.moves, this.before, s, g);
    }
    this.recordWrite(s, g);
    if (s.hashed) this.remember(s);
  }

  finish(): CacheReport {
    // A write whose TTL runs past the window's end, or past now when that end is still ahead, may yet
    // be read: it is neither wasted nor read, and not among the writes a finding counts.
    this.expire(Math.min(this.o.until ?? this.last ?? 0, this.o.now ?? Infinity));
    for (const queue of this.pending.values()) for (const p of queue) if (!p.done) this.group(p.seen.group).openWrites++;
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
    const { since, measuredSince } = this.o;
    const ledgerBegan = since !== undefined && measuredSince !== undefined && measuredSince > since ? measuredSince : undefined;
    const measured = this.measuredUntil();
    const ahead = measured !== undefined && this.o.until !== undefined && measured < this.o.until ? { measuredUntil: measured } : {};
    return { by: this.o.by, since, until: this.o.until, windowMs, ...ahead, ...(ledgerBegan === undefined ? {} : { ledgerBegan }), groups, findings, autoCache };
  }

  /** Where the measured part of the window ends: its end, or now when that is still ahead (the rest holds no traffic yet). */
  private measuredUntil(): number | undefined {
    const { until, now } = this.o;
    return until === undefined || now === undefined ? until : Math.min(until, now);
  }

  private windowMs(): number {
    const { since, measuredSince } = this.o;
    const until = this.measuredUntil();
    const from = since === undefined ? this.first : Math.max(since, measuredSince ?? since);
    // A ledger younger than the window, or a window not yet over, is measured to what has passed, but over an hour at least
    // (the whole window asked for when that is shorter): minutes of traffic scaled to a week would make a cent of waste look like dollars.
    if (since !== undefined && until !== undefined) return Math.max(0, until - from!, Math.min(this.o.until! - since, TTL_1H));
    const to = until ?? (this.last === undefined ? undefined : this.last + 1);
    // A window guessed from the rows themselves is at least an hour, so a burst is not scaled up absurdly.
    return from === undefined || to === undefined ? 0 : Math.max(to - from, TTL_1H);
  }

  private see(row: CacheRow): Seen {
    const p = this.scan;
    const hashed = p.read(row.prefix, row.sessionId);
    const scale = hashed && p.e > 0 && row.inputTokens > 0 ? row.inputTokens / p.e : 1;
    return { row, group: groupOf(row, this.o.by), scope: this.scopeOf(row), hashed, staticLen: hashed ? p.staticLen : 0, scale };
  }

  private scopeOf(row: CacheRow): number {
    const key = `${row.provider}\u0000${row.model}`;
    let id = this.scopes.get(key);
    if (id === undefined) this.scopes.set(key, (id = this.scopes.size));
    return id;
  }

  private group(key: string): GroupAcc {
    let g = this.groups.get(key);
    if (!g) {
      g = newGroup();
      this.groups.set(key, g);
    }
    return g;
  }

  /** Each block's slot in `recent`, and when a request carried that prefix before this one. */
  private lookUp(s: Seen): void {
    const p = this.scan;
    if (this.slots.length < p.len) {
      this.slots = new Int32Array(p.cum.length);
      this.before = new Float64Array(p.cum.length);
    }
    // Entries an hour old no longer count (each look-up checks the time); those with pending writes stay for settle.
    const ts = s.row.ts;
    this.recent.reserve(p.len, (at, pend) => ts - at <= TTL_1H || pend >= 0);
    for (let i = 0; i < p.len; i++) {
      const slot = this.recent.slot(s.scope, p.cum[i]!);
      this.slots[i] = slot;
      this.before[i] = this.recent.at[slot]!;
    }
  }

  /** Estimated tokens of the longest prefix this request shares with one seen in the hour before. */
  private repeatedTokens(s: Seen): number {
    const p = this.scan;
    let tokens = 0;
    let run = 0;
    for (let i = 0; i < p.len; i++) {
      run += p.tokens[i]!;
      if (s.row.ts - this.before[i]! <= TTL_1H) tokens = run;
    }
    return tokens;
  }

  private remember(s: Seen): void {
    const p = this.scan;
    for (let i = 0; i < p.len; i++) this.recent.at[this.slots[i]!] = s.row.ts;
  }

  /** The cache entry a write creates: the prefix up to its last breakpoint (or the whole session, unhashed). */
  private writeKey(s: Seen): EntryKey | undefined {
    const p = this.scan;
    if (s.hashed && p.len > 0) return p.cum[this.writeBlock()];
    return s.row.sessionId === null ? undefined : `session:${s.row.sessionId}`;
  }

  /** The block a write of the current (hashed) row ends at. */
  private writeBlock(): number {
    const p = this.scan;
    return Math.min(p.lastBp >= 0 ? p.lastBp : p.len - 1, p.len - 1);
  }

  private recordWrite(s: Seen, g: GroupAcc): void {
    if (s.row.cacheWriteTokens <= 0) return;
    g.writes++;
    const key = this.writeKey(s);
    if (key === undefined) return;
    const lapsed = this.lapsedByKey.get(s.scope, key);
    let readUnder1h = false;
    if (lapsed && !lapsed.done && s.row.ts - lapsed.seen.row.ts <= TTL_1H) {
      // Written again after the 5-minute entry lapsed: a 1-hour TTL would have made this a read. In a run
      // of such writes only the first pays the 1-hour write; the others would all have been reads.
      lapsed.done = true;
      const t = Math.min(lapsed.tokens, s.row.cacheWriteTokens);
      const net = this.moves.writeToRead(s.row, t) + (lapsed.readUnder1h ? 0n : this.moves.write5mTo1h(lapsed.seen.row, t));
      if (net > 0n) {
        readUnder1h = true;
        const lg = this.group(lapsed.seen.group);
        lg.ttlSaving += net;
        lg.ttlCount++;
        countModel(lg.ttlModels, lapsed.seen.row.model);
        for (const id of [lapsed.seen.row.id, s.row.id]) if (lg.ttlExamples.length < EXAMPLES && !lg.ttlExamples.includes(id)) lg.ttlExamples.push(id);
      }
    }
    const ttl = s.row.cacheWrite1hTokens > 0 ? TTL_1H : TTL_5M;
    const p: PendingWrite = { seen: s, key, ttl, tokens: s.row.cacheWriteTokens, done: false, readUnder1h };
    this.pending.get(ttl)!.push(p);
    if (typeof key === 'number') {
      const slot = this.slots[this.writeBlock()]!;
      if (this.recent.pend[slot]! < 0) this.recent.pend[slot] = this.newList();
      this.lists[this.recent.pend[slot]!]!.push(p);
      return;
    }
    let list = this.sessionPending.get(s.scope, key);
    if (!list) this.sessionPending.set(s.scope, key, (list = []));
    list.push(p);
  }

  private newList(): number {
    const free = this.freeLists.pop();
    if (free !== undefined) return free;
    this.lists.push([]);
    return this.lists.length - 1;
  }

  private dropList(slot: number): void {
    const i = this.recent.pend[slot]!;
    this.lists[i] = [];
    this.freeLists.push(i);
    this.recent.pend[slot] = -1;
  }

  /** A request that read from the cache reads back every pending write of a prefix it carries. */
  private readBack(s: Seen): void {
    if (s.row.cacheReadTokens <= 0) return;
    const take = (list: PendingWrite[]) => {
      for (const p of list) if (s.row.ts - p.seen.row.ts <= p.ttl) p.done = true;
    };
    if (s.hashed) {
      for (let i = 0; i < this.scan.len; i++) {
        const slot = this.slots[i]!;
        if (this.recent.pend[slot]! < 0) continue;
        take(this.lists[this.recent.pend[slot]!]!);
        this.dropList(slot);
      }
    }
    if (s.row.sessionId === null) return;
    const key = `session:${s.row.sessionId}`;
    const list = this.sessionPending.get(s.scope, key);
    if (!list) return;
    take(list);
    this.sessionPending.delete(s.scope, key);
  }

  /** Writes whose TTL ran out unread are wasted. */
  private expire(now: number): void {
    for (const [ttl, queue] of this.pending) {
      for (let p = queue.first; p && (p.done || now - p.seen.row.ts > ttl); p = queue.first) this.settle(queue.shift());
    }
    for (let p = this.lapsed.first; p && (p.done || now - p.seen.row.ts > TTL_1H); p = this.lapsed.first) {
      this.lapsed.shift();
      if (this.lapsedByKey.get(p.seen.scope, p.key) === p) this.lapsedByKey.delete(p.seen.scope, p.key);
    }
  }

  /** Takes a write off the pending queues; unread, it is wasted, and a 5-minute one is kept to test a 1-hour TTL. */
  private settle(p: PendingWrite): void {
    if (typeof p.key === 'number') {
      const slot = this.recent.find(p.seen.scope, p.key);
      const list = slot >= 0 && this.recent.pend[slot]! >= 0 ? this.lists[this.recent.pend[slot]!]! : undefined;
      if (list) {
        const at = list.indexOf(p);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0) this.dropList(slot);
      }
    } else {
      const list = this.sessionPending.get(p.seen.scope, p.key);
      if (list) {
        const at = list.indexOf(p);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0) this.sessionPending.delete(p.seen.scope, p.key);
      }
    }
    if (p.done) return;
    const g = this.group(p.seen.group);
    g.wasted++;
    g.wastedTokens += p.tokens;
    countModel(g.wastedModels, p.seen.row.model);
    g.wastedPicos += this.moves.writeToInput(p.seen.row, p.tokens);
    if (g.wastedExamples.length < EXAMPLES) g.wastedExamples.push(p.seen.row.id);
    if (p.ttl === TTL_5M) {
      this.lapsed.push(p);
      this.lapsedByKey.set(p.seen.scope, p.key, p);
    }
  }
}
