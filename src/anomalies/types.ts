import type { Picos } from '../core/money.js';

export const DETECTORS = ['spend_spike', 'runaway_session', 'agent_loop', 'retry_storm', 'cache_regression'] as const;
export type DetectorId = (typeof DETECTORS)[number];

export type Severity = 'warning' | 'critical';

/** One client version's share of input read from cache, in a cache regression's window or the hour before it. */
export interface ReleaseShare {
  client: string;
  version: string;
  requests: number;
  share: number;
  /** Where it was read: the judged window, or the hour before it (a version the window no longer has). */
  when: 'window' | 'before';
}

/** What a detector found: enough for an alert, a replay line and a person to act on. */
export interface Detection {
  detector: DetectorId;
  /** The scope it is about: "user:alice", "team:platform", "workflow:review", "model:gpt-5", "session:s1", "key:key_1". */
  subject: string;
  /** The stretch of traffic the detector judged, ms since the epoch (end exclusive). */
  windowStart: number;
  windowEnd: number;
  severity: Severity;
  /** Spend above what was expected in the window (integer picodollars, never negative). */
  excessPicos: Picos;
  /** One line for people. */
  message: string;
  evidence: Evidence;
  /**
   * Identifies the anomaly (not the evaluation): the same ongoing anomaly gives the same key
   * at every evaluation, so it is alerted once (claimed in storage across replicas).
   */
  key: string;
}

export interface Evidence {
  /** Admin API path (with query) of the report that shows it, relative to the gateway. */
  report: string;
  requestIds: string[];
  sessionIds: string[];
  /** A cache regression's: the client version its fall came with, then the version that kept reading (release-contrast.ts). */
  clientVersions?: ReleaseShare[];
}

/** The threshold settings of every detector (config `anomalies.detectors`). */
export interface DetectorSettings {
  spend_spike: SpikeSettings;
  runaway_session: RunawaySettings;
  agent_loop: LoopSettings;
  retry_storm: StormSettings;
  cache_regression: CacheRegressionSettings;
}

interface Toggle {
  enabled: boolean;
}

export interface SpikeSettings extends Toggle {
  /** The recent stretch compared with the baseline. */
  windowMs: number;
  /** How far back seasonal samples are taken from. */
  baselineDays: number;
  /** Fewer days of history than this: the baseline is not learned yet, nothing is raised. */
  minHistoryDays: number;
  /** Spend must be at least this multiple of the seasonal median... */
  minRatio: number;
  /** ...and this many robust standard deviations (1.4826 × MAD) above it... */
  madK: number;
  /** ...and this much above it in dollars (picos). */
  minExcessPicos: Picos;
  /** The scopes watched: user, team, workflow (tag `workflow`), model. */
  dimensions: SpikeDimension[];
  /** The IANA zone whose hours and weekdays the baseline follows (`policy.time_zone`). */
  timeZone: string;
}

export const SPIKE_DIMENSIONS = ['user', 'team', 'workflow', 'model'] as const;
export type SpikeDimension = (typeof SPIKE_DIMENSIONS)[number];

export interface RunawaySettings extends Toggle {
  windowMs: number;
  historyDays: number;
  /** Velocity must exceed this multiple of the identity's p95 session-hour... */
  identityFactor: number;
  /** ...and the organisation's p99 session-hour... */
  orgQuantile: number;
  /** ...and at least this much an hour (picos). */
  minPicosPerHour: Picos;
  /** Identities with fewer past session-hours are judged against the organisation alone. */
  minSessions: number;
}

export interface LoopSettings extends Toggle {
  windowMs: number;
  /** The same step this many times in a row of growing context. */
  minRepeats: number;
}

export interface StormSettings extends Toggle {
  windowMs: number;
  /** Errors plus retries from one caller in the window. */
  minEvents: number;
  /** Share of that caller's requests that failed. */
  minErrorShare: number;
}

export interface CacheRegressionSettings extends Toggle {
  windowMs: number;
  baselineDays: number;
  /** Only workflows that used to read at least this share of input from cache. */
  minBaselineShare: number;
  /** A fall by this fraction of the baseline share (0.5: from 70% to 35% or lower). */
  drop: number;
  /** Enough input in the window to judge. */
  minInputTokens: number;
  /** And enough requests (sessions starting cold read nothing: a few calls say little); else the last hour is judged. */
  minRequests: number;
  /**
   * The last minutes judged alone, for a share that collapses (a cache broken outright): raised within
   * them, where the whole window needs half of itself; 0 turns it off. Needs `minInputTokens` in them.
   */
  fastWindowMs: number;
  /** The fall the last minutes alone must show (0.7: from 70% to 21% or lower). */
  fastDrop: number;
  /**
   * The last minutes' warm requests (following their session's previous request to the same model within
   * the cache's 5-minute TTL) judged alone too, by `fastDrop`, when at least this many (0 turns it off)...
   */
  warmMinRequests: number;
  /** ...with at least this much input. */
  warmMinInputTokens: number;
  /**
   * And from at least this many sessions: a broken cache affects every session of the workflow, while one
   * session of its own (a runaway, an agent loop) can read nothing while the rest read as usual. From fewer,
   * they are judged where the workflow's other requests of the last minutes do not say otherwise.
   */
  warmMinSessions: number;
}

export interface AnomalySettings {
  enabled: boolean;
  intervalMs: number;
  /**
   * Rows written after the evaluations of their windows had run are evaluated live when those
   * evaluations are at most this old (0: never); older ones are left to `tollgate detect`.
   */
  lateHorizonMs: number;
  detectors: DetectorSettings;
}

const MINUTE = 60_000;
const USD = 1_000_000_000_000n;

/** The defaults, chosen so that a planted anomaly is raised within 5 minutes and clean traffic stays quiet (docs/anomalies.md). */
export function defaultAnomalySettings(): AnomalySettings {
  return {
    // On: evaluations read aggregates in a worker thread of their own, off the gateway's event loop (docs/anomalies.md).
    enabled: true,
    intervalMs: 60_000,
    lateHorizonMs: 24 * 3_600_000,
    detectors: {
      spend_spike: { enabled: true, windowMs: 5 * MINUTE, baselineDays: 28, minHistoryDays: 7, minRatio: 3, madK: 6, minExcessPicos: 5n * USD, dimensions: [...SPIKE_DIMENSIONS], timeZone: 'UTC' },
      runaway_session: { enabled: true, windowMs: 5 * MINUTE, historyDays: 14, identityFactor: 3, orgQuantile: 0.99, minPicosPerHour: 20n * USD, minSessions: 5 },
      agent_loop: { enabled: true, windowMs: 30 * MINUTE, minRepeats: 5 },
      retry_storm: { enabled: true, windowMs: 5 * MINUTE, minEvents: 30, minErrorShare: 0.5 },
      cache_regression: { enabled: true, windowMs: 15 * MINUTE, baselineDays: 7, minBaselineShare: 0.3, drop: 0.5, minInputTokens: 200_000, minRequests: 20, fastWindowMs: 5 * MINUTE, fastDrop: 0.7, warmMinRequests: 4, warmMinInputTokens: 100_000, warmMinSessions: 2 },
    },
  };
}
