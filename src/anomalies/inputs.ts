import type { Dimension } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { AggregateQuery, AggregateRow, CallerTotals, ExampleSubject, LedgerStore, ReleaseCacheUse, RequestPoint, SessionHour } from '../storage/ports.js';
import { DAY_MS, HOUR_MS } from '../storage/schema.js';
import { type CacheUse, WARM_TTL_MS } from './cache-regression.js';
import type { SessionSpend } from './runaway-session.js';
import { SPIKE_REPORT_DIMENSION, type SpendSeries } from './spend-spike.js';
import type { SpikeDimension } from './types.js';

/**
 * Reads the series the detectors judge, through the storage port. Whole past hours come
 * from rollups, grouped by hour, and are cached: when the hour turns only the new hour is
 * read and the oldest dropped. The recent window is summed by the database (GROUP BY over an
 * index range on `ts`); raw rows leave it only for steps repeated often enough to be a loop,
 * and as evidence for what fired.
 */
export class SeriesReader {
  private readonly ledger: LedgerStore;
  private readonly cache = new Map<string, { since: number; until: number; rows: unknown[]; derived?: unknown }>();

  constructor(ledger: LedgerStore) {
    this.ledger = ledger;
  }

  /** Spend per subject of each dimension: the recent window in one read grouped by all of them, and the cached hourly history of each. */
  async spend(dimensions: readonly SpikeDimension[], now: number, windowMs: number, baselineDays: number): Promise<SpendSeries[]> {
    const dims = dimensions.map((d) => SPIKE_REPORT_DIMENSION[d] as Dimension);
    const current = dims.map(() => new Map<string, Picos>());
    for (const r of dims.length ? await this.ledger.aggregate({ since: now - windowMs, until: now, by: dims, costOnly: true }) : []) {
      r.keys.forEach((k, i) => current[i]!.set(k, (current[i]!.get(k) ?? 0n) + r.costPicos));
    }
    const out: SpendSeries[] = [];
    for (const [i, dimension] of dimensions.entries()) out.push({ dimension, current: current[i]!, ...(await this.spendHistory(dims[i]!, now, windowMs, baselineDays)) });
    return out;
  }

  private spendHistory(dim: Dimension, now: number, windowMs: number, baselineDays: number): Promise<Pick<SpendSeries, 'hourly' | 'firstHour'>> {
    const end = hourFloor(now - windowMs);
    return this.hourly(`spend:${dim}`, { since: end - baselineDays * DAY_MS, until: end, by: ['hour', dim], costOnly: true }, (past) => {
      const byHour = new Map<string, Map<number, Picos>>();
      let first: number | undefined;
      for (const r of past) {
        const hour = Date.parse(r.keys[0]!);
        first = first === undefined ? hour : Math.min(first, hour);
        const subject = r.keys[1]!;
        let m = byHour.get(subject);
        if (!m) byHour.set(subject, (m = new Map<number, Picos>()));
        m.set(hour, r.costPicos);
      }
      return { hourly: byHour, firstHour: first };
    });
  }

  async sessions(now: number, windowMs: number, historyDays: number): Promise<{ recent: SessionSpend[]; history: SessionSpend[] }> {
    const recent = (await this.ledger.aggregate({ since: now - windowMs, until: now, by: ['session', 'user', 'key'] })).map(sessionSpend);
    const end = hourFloor(now - windowMs);
    const history = await this.cached(
      'sessions',
      { since: end - historyDays * DAY_MS, until: end },
      (range) => this.ledger.sessionHours(range),
      (h) => h.hour,
      (rows) => rows.map(pastSession),
    );
    return { recent: recent.filter((x) => x.sessionId !== ''), history };
  }

  /**
   * The window's use, its last `recentMs` alone (0: not read), its last `warmMs`' warm requests
   * (0: not read), and the baseline's: over all its hours, and per hour of the day (UTC) the
   * window touches, over those hours of past days.
   */
  async cacheUse(now: number, windowMs: number, baselineDays: number, recentMs = 0, longMs = 0, warmMs = 0): Promise<{ current: CacheUse[]; recent: CacheUse[]; lastHour: CacheUse[]; warm: CacheUse[]; baseline: CacheUse[]; sameHours: CacheUse[][] }> {
    const by: Dimension[] = ['tag:workflow', 'model', 'provider'];
    const [current = [], recent = [], lastHour = []] = await this.cacheSpans(now, [windowMs, recentMs, longMs], by);
    const warm = warmMs > 0 ? (await this.ledger.warmCacheUse({ since: now - warmMs, until: now }, { tag: 'workflow', ttlMs: WARM_TTL_MS })).map(({ tag, ...u }) => ({ workflow: tag, ...u })) : [];
    const end = hourFloor(now - windowMs);
    const past = await this.hourly('cache', { since: end - baselineDays * DAY_MS, until: end, by: ['hour', ...by] }, (rows) => {
      const all: CacheUse[] = [];
      const byHour = new Map<number, CacheUse[]>();
      for (const r of rows) {
        const u = cacheUse({ ...r, keys: r.keys.slice(1) });
        all.push(u);
        const hour = new Date(Date.parse(r.keys[0]!)).getUTCHours();
        const list = byHour.get(hour);
        if (list) list.push(u);
        else byHour.set(hour, [u]);
      }
      return { all, byHour };
    });
    const touched = new Set<number>();
    for (let t = hourFloor(now - windowMs); t < now && touched.size < 24; t += HOUR_MS) touched.add(new Date(t).getUTCHours());
    return { current, recent, lastHour, warm, baseline: past.all, sameHours: [...touched].map((h) => past.byHour.get(h) ?? []) };
  }

  /**
   * The use of each stretch [now - ms, now) asked for (0: none), read as disjoint slices between
   * their starts and summed: the rows of the last hour are read once, not once per stretch.
   */
  private async cacheSpans(now: number, spans: readonly number[], by: Dimension[]): Promise<CacheUse[][]> {
    const starts = [...new Set(spans.filter((ms) => ms > 0))].sort((a, b) => a - b);
    const slices: CacheUse[][] = [];
    let end = 0;
    for (const ms of starts) {
      slices.push((await this.ledger.aggregate({ since: now - ms, until: now - end, by })).map(cacheUse));
      end = ms;
    }
    return spans.map((ms) => (ms > 0 ? sumUses(slices.slice(0, starts.indexOf(ms) + 1).flat()) : []));
  }

  /** The window's requests whose session repeats a step `minRepeats` times or more; the database counts, ordinary traffic stays in it. */
  repeatedSteps(now: number, windowMs: number, minRepeats: number): Promise<RequestPoint[]> {
    return this.ledger.repeatedSteps({ since: now - windowMs, until: now }, minRepeats);
  }

  /** Each caller's requests, failures and retries in the window, summed by the database. */
  callers(now: number, windowMs: number): Promise<CallerTotals[]> {
    return this.ledger.callerTotals({ since: now - windowMs, until: now });
  }

  /** Evidence, read only for a workflow whose cache reads fell: its requests per client version. */
  releaseUse(workflow: string, since: number, until: number): Promise<ReleaseCacheUse[]> {
    return this.ledger.releaseCacheUse({ since, until }, { tag: 'workflow', value: workflow });
  }

  /** Evidence, read only for a caller found storming. */
  failedIds(now: number, windowMs: number, caller: string, limit: number): Promise<string[]> {
    return this.ledger.failedRequestIds({ since: now - windowMs, until: now }, caller, limit);
  }

  /** Evidence, read only for a spend spike (its costliest requests) or a cache regression (those reading least from cache). */
  exampleIds(since: number, until: number, subject: ExampleSubject, order: 'cost' | 'uncached', limit: number): Promise<string[]> {
    return this.ledger.exampleRequestIds({ since, until }, subject, order, limit);
  }

  /** `q` groups by hour first, over whole hours; `derive` shapes the rows, and is re-run only when they change. */
  private hourly<T>(name: string, q: AggregateQuery & { since: number; until: number }, derive: (rows: AggregateRow[]) => T): Promise<T> {
    return this.cached(name, q, (range) => this.ledger.aggregate({ ...q, ...range }), (r) => Date.parse(r.keys[0]!), derive);
  }

  /** Rows of whole hours in [since, until), each of the hour `hourOf` says; read again only for the hours not read before. */
  private async cached<R, T>(name: string, q: { since: number; until: number }, read: (range: { since: number; until: number }) => Promise<R[]>, hourOf: (r: R) => number, derive: (rows: R[]) => T): Promise<T> {
    const hit = this.cache.get(name) as { since: number; until: number; rows: R[]; derived?: unknown } | undefined;
    if (hit && hit.since === q.since && hit.until === q.until && hit.derived !== undefined) return hit.derived as T;
    let rows: R[];
    if (hit && hit.since <= q.since && hit.until <= q.until && q.since < hit.until) {
      const fresh = hit.until < q.until ? await read({ since: hit.until, until: q.until }) : [];
      rows = [...hit.rows.filter((r) => hourOf(r) >= q.since), ...fresh];
    } else {
      rows = await read({ since: q.since, until: q.until });
    }
    const derived = derive(rows);
    this.cache.set(name, { since: q.since, until: q.until, rows, derived });
    return derived;
  }
}

function hourFloor(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function identityOf(user: string, key: string): string {
  return user ? `user:${user}` : key ? `key:${key}` : 'anonymous';
}

function sessionSpend(r: AggregateRow): SessionSpend {
  const [session = '', user = '', key = ''] = r.keys;
  return { sessionId: session, identity: identityOf(user, key), costPicos: r.costPicos, tokens: r.inputTokens + r.outputTokens };
}

/** A past session-hour, with how long it was active where the rollup knows (schema version 26). */
function pastSession(h: SessionHour): SessionSpend {
  const s: SessionSpend = { sessionId: h.sessionId, identity: identityOf(h.user, h.keyId), costPicos: h.costPicos, tokens: h.inputTokens + h.outputTokens };
  if (h.firstTs !== undefined && h.lastTs !== undefined) s.activeMs = h.lastTs - h.firstTs;
  return s;
}

function cacheUse(r: AggregateRow): CacheUse {
  return { workflow: r.keys[0]!, model: r.keys[1]!, provider: r.keys[2]!, requests: r.requests, inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens };
}

/** Uses of the same workflow, model and provider summed, in that order. */
function sumUses(uses: readonly CacheUse[]): CacheUse[] {
  const m = new Map<string, CacheUse>();
  for (const u of uses) {
    const k = `${u.workflow}\u0000${u.model}\u0000${u.provider}`;
    const had = m.get(k);
    if (had) m.set(k, { ...had, requests: had.requests + u.requests, inputTokens: had.inputTokens + u.inputTokens, cacheReadTokens: had.cacheReadTokens + u.cacheReadTokens, cacheWriteTokens: (had.cacheWriteTokens ?? 0) + (u.cacheWriteTokens ?? 0) });
    else m.set(k, { ...u });
  }
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, u]) => u);
}
