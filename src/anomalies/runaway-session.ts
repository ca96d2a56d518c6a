import type { Picos } from '../core/money.js';
import { DAY_MS } from '../storage/schema.js';
import { minutesText, reportPath, usdText } from './evidence.js';
import { dollars, quantile } from './stats.js';
import type { Detection, RunawaySettings } from './types.js';

/** One session's spend and tokens over a stretch of time, with its identity. */
export interface SessionSpend {
  sessionId: string;
  /** The identity judged against: the user, else the key. */
  identity: string;
  costPicos: Picos;
  tokens: number;
  /**
   * A past session-hour's: from its first request's start to its last's. Undefined where the
   * ledger does not know (rollups from before schema version 26's backfill): the whole hour.
   */
  activeMs?: number;
}

export interface SessionSeries {
  /** Sessions active in [now − window, now). */
  recent: readonly SessionSpend[];
  /** Past session-hours (one entry per session, identity and clock hour) over the history. */
  history: readonly SessionSpend[];
}

const HOUR = 3_600_000;

/**
 * A runaway session: its cost or token velocity (per hour, measured over the recent window)
 * far above both its identity's usual velocity (p95 × `identityFactor`) and the organisation's
 * p99, and above a dollar floor, so that a small team's slightly busy hour is not a runaway.
 * A past session-hour's velocity is its spend over the time it was active, at least the window
 * (a session of 5 minutes in an hour burned its hour's spend in those minutes, and judging a
 * window's rate against hourly totals flagged every short heavy session); over the whole hour
 * where that time is unknown.
 */
export function runawaySessions(series: SessionSeries, now: number, s: RunawaySettings): Detection[] {
  if (series.history.length === 0) return [];
  const perHour = HOUR / s.windowMs;
  const { orgCost, orgTokens, usualFor } = baseline(series.history, s);
  const start = now - s.windowMs;
  const out: Detection[] = [];
  for (const r of series.recent) {
    if (r.sessionId === '') continue;
    const { usual, idCost, idTokens } = usualFor(r.identity);
    const costRate = dollars(r.costPicos) * perHour;
    const tokenRate = r.tokens * perHour;
    const costBar = Math.max(idCost, orgCost, dollars(s.minPicosPerHour));
    // Tokens alone must still cost the dollar floor: many cheap tokens are not a runaway.
    const fast = costRate > costBar || (tokenRate > Math.max(idTokens, orgTokens) && costRate >= dollars(s.minPicosPerHour));
    if (!fast) continue;
    const expected = BigInt(Math.round((Math.max(idCost, orgCost) / perHour) * 1e6)) * 1_000_000n;
    const excess = r.costPicos > expected ? r.costPicos - expected : 0n;
    const rateText = `${usdText(BigInt(Math.round(costRate * 100)) * 10_000_000_000n)}/h`;
    out.push({
      detector: 'runaway_session',
      subject: `session:${r.sessionId}`,
      windowStart: start,
      windowEnd: now,
      severity: costRate > 3 * costBar ? 'critical' : 'warning',
      excessPicos: excess,
      message: `Session ${r.sessionId} (${r.identity}) is burning ${rateText} (${usdText(r.costPicos)} in ${minutesText(s.windowMs)}, ${Math.round(tokenRate).toLocaleString('en-US')} tokens/h); its usual p95 is ${usual ? `$${(idCost / s.identityFactor).toFixed(2)}/h` : 'unknown'}, the organisation's p${Math.round(s.orgQuantile * 100)} $${orgCost.toFixed(2)}/h.`,
      evidence: { report: reportPath(start - DAY_MS, now, ['session', 'hour']), requestIds: [], sessionIds: [r.sessionId] },
      key: `runaway_session:${r.sessionId}:${Math.floor(now / DAY_MS)}`,
    });
  }
  return out;
}

interface Baseline {
  orgCost: number;
  orgTokens: number;
  /** An identity's usual velocity (p95 × identityFactor), worked out once per identity. */
  usualFor: (identity: string) => { usual: boolean; idCost: number; idTokens: number };
}

/**
 * The history's quantiles, kept with the history: the reader hands the same history to every
 * evaluation within the hour (inputs.ts), and sorting it each time was most of a replay's work.
 */
const baselines = new WeakMap<readonly SessionSpend[], Map<string, Baseline>>();

function baseline(history: readonly SessionSpend[], s: RunawaySettings): Baseline {
  const key = `${s.orgQuantile}\u0000${s.minSessions}\u0000${s.identityFactor}\u0000${s.windowMs}`;
  let forHistory = baselines.get(history);
  if (!forHistory) baselines.set(history, (forHistory = new Map<string, Baseline>()));
  let b = forHistory.get(key);
  if (b) return b;
  const byIdentity = new Map<string, SessionSpend[]>();
  for (const h of history) {
    const list = byIdentity.get(h.identity);
    if (list) list.push(h);
    else byIdentity.set(h.identity, [h]);
  }
  const usual = new Map<string, { usual: boolean; idCost: number; idTokens: number }>();
  // Per hour of a past session-hour's active time (at least the window, as the live velocity's).
  const perHour = (h: SessionSpend) => HOUR / (h.activeMs === undefined ? HOUR : Math.max(h.activeMs, s.windowMs));
  const costRate = (h: SessionSpend) => dollars(h.costPicos) * perHour(h);
  const tokenRate = (h: SessionSpend) => h.tokens * perHour(h);
  b = {
    orgCost: quantile(history.map(costRate), s.orgQuantile),
    orgTokens: quantile(history.map(tokenRate), s.orgQuantile),
    usualFor: (identity) => {
      let u = usual.get(identity);
      if (!u) {
        const own = byIdentity.get(identity) ?? [];
        const enough = own.length >= s.minSessions;
        u = {
          usual: enough,
          idCost: enough ? s.identityFactor * quantile(own.map(costRate), 0.95) : 0,
          idTokens: enough ? s.identityFactor * quantile(own.map(tokenRate), 0.95) : 0,
        };
        usual.set(identity, u);
      }
      return u;
    },
  };
  forHistory.set(key, b);
  return b;
}
