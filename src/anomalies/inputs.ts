import type { Dimension } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { AggregateQuery, AggregateRow, LedgerStore, RequestPoint } from '../storage/ports.js';
import { DAY_MS, HOUR_MS } from '../storage/schema.js';
import type { CacheUse } from './cache-regression.js';
import type { SessionSpend } from './runaway-session.js';
import { SPIKE_REPORT_DIMENSION, type SpendSeries } from './spend-spike.js';
import type { SpikeDimension } from './types.js';

/**
 * Reads the series the detectors judge, through the storage port. Whole past hours come
 * from rollups and change only when the hour turns, so they are cached per hour: an
 * evaluation every minute reads only the recent window's raw rows.
 */
export class SeriesReader {
  private readonly ledger: LedgerStore;
  private readonly cache = new Map<string, { hour: number; rows: AggregateRow[] }>();

  constructor(ledger: LedgerStore) {
    this.ledger = ledger;
  }

  async spend(dimension: SpikeDimension, now: number, windowMs: number, baselineDays: number): Promise<SpendSeries> {
    const dim = SPIKE_REPORT_DIMENSION[dimension] as Dimension;
    const current = new Map<string, Picos>();
    for (const r of await this.ledger.aggregate({ since: now - windowMs, until: now, by: [dim], costOnly: true })) current.set(r.keys[0]!, r.costPicos);
    const end = hourFloor(now - windowMs);
    const past = await this.hourly(`spend:${dim}`, end, { since: end - baselineDays * DAY_MS, until: end, by: ['hour', dim], costOnly: true });
    const hourly = new Map<string, Map<number, Picos>>();
    let firstHour: number | undefined;
    for (const r of past) {
      const hour = Date.parse(r.keys[0]!);
      firstHour = firstHour === undefined ? hour : Math.min(firstHour, hour);
      const subject = r.keys[1]!;
      let m = hourly.get(subject);
      if (!m) hourly.set(subject, (m = new Map<number, Picos>()));
      m.set(hour, r.costPicos);
    }
    return { dimension, current, hourly, firstHour };
  }

  async sessions(now: number, windowMs: number, historyDays: number): Promise<{ recent: SessionSpend[]; history: SessionSpend[] }> {
    const recent = (await this.ledger.aggregate({ since: now - windowMs, until: now, by: ['session', 'user', 'key'] })).map(sessionSpend);
    const end = hourFloor(now - windowMs);
    const history = (await this.hourly('sessions', end, { since: end - historyDays * DAY_MS, until: end, by: ['session', 'user', 'key', 'hour'] })).map(sessionSpend);
    return { recent: recent.filter((s) => s.sessionId !== ''), history: history.filter((s) => s.sessionId !== '') };
  }

  async cacheUse(now: number, windowMs: number, baselineDays: number): Promise<{ current: CacheUse[]; baseline: CacheUse[] }> {
    const by: Dimension[] = ['tag:workflow', 'model', 'provider'];
    const current = (await this.ledger.aggregate({ since: now - windowMs, until: now, by })).map(cacheUse);
    const end = hourFloor(now - windowMs);
    const baseline = (await this.hourly('cache', end, { since: end - baselineDays * DAY_MS, until: end, by })).map(cacheUse);
    return { current, baseline };
  }

  points(now: number, windowMs: number): Promise<RequestPoint[]> {
    return this.ledger.requestPoints({ since: now - windowMs, until: now });
  }

  private async hourly(name: string, hour: number, q: AggregateQuery): Promise<AggregateRow[]> {
    const hit = this.cache.get(name);
    if (hit && hit.hour === hour) return hit.rows;
    const rows = await this.ledger.aggregate(q);
    this.cache.set(name, { hour, rows });
    return rows;
  }
}

function hourFloor(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function sessionSpend(r: AggregateRow): SessionSpend {
  const [session = '', user = '', key = ''] = r.keys;
  return {
    sessionId: session,
    identity: user ? `user:${user}` : key ? `key:${key}` : 'anonymous',
    costPicos: r.costPicos,
    tokens: r.inputTokens + r.outputTokens,
  };
}

function cacheUse(r: AggregateRow): CacheUse {
  return { workflow: r.keys[0]!, model: r.keys[1]!, provider: r.keys[2]!, inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens };
}
