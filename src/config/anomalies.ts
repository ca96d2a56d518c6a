import { z } from 'zod';
import { SPIKE_DIMENSIONS, type AnomalySettings, defaultAnomalySettings } from '../anomalies/types.js';
import { usd } from '../core/money.js';

const minutes = (max: number) => z.number().positive('must be a number of minutes > 0').max(max, `must be at most ${max} minutes`);
const share = z.number().min(0, 'must be a fraction between 0 and 1').max(1, 'must be a fraction between 0 and 1');
const dollars = z
  .union([z.number(), z.string()], { error: 'must be a dollar amount ≥ 0' })
  .pipe(z.coerce.number({ error: 'must be a dollar amount ≥ 0' }))
  .refine((n) => Number.isFinite(n) && n >= 0, 'must be a dollar amount ≥ 0');
const days = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(90, 'must be at most 90 days');
const on = { enabled: z.boolean().optional() };
const DEFAULT_BASELINE_DAYS = defaultAnomalySettings().detectors.spend_spike.baselineDays;

/** `anomalies:` in the config file (docs/configuration.md, docs/anomalies.md). */
export const anomaliesSchema = z.strictObject({
  enabled: z.boolean().optional(),
  interval_seconds: z.number().min(5, 'must be at least 5 seconds').max(3600, 'must be at most 3600 seconds (an hour)').optional(),
  late_horizon_hours: z.number().min(0, 'must be a number of hours ≥ 0').max(24 * 7, 'must be at most 168 hours (a week)').optional(),
  detectors: z
    .strictObject({
      spend_spike: z
        .strictObject({
          ...on,
          window_minutes: minutes(240).optional(),
          baseline_days: days.optional(),
          min_history_days: days.optional(),
          min_ratio: z.number().min(1, 'must be at least 1').optional(),
          mad_k: z.number().min(0, 'must be ≥ 0').optional(),
          min_excess_usd: dollars.optional(),
          dimensions: z.array(z.enum(SPIKE_DIMENSIONS, { error: `must be one of ${SPIKE_DIMENSIONS.join(', ')}` })).optional(),
        })
        // The history is read from the baseline's days only: more history than that is never seen, and nothing would be raised.
        .refine((x) => typeof x.min_history_days !== 'number' || typeof (x.baseline_days ?? 0) !== 'number' || x.min_history_days <= (x.baseline_days ?? DEFAULT_BASELINE_DAYS), {
          path: ['min_history_days'],
          // Said with the block's other problems, not after they are fixed (every problem at once).
          when: () => true,
          error: (i) => `must be at most baseline_days (${(i.input as { baseline_days?: number }).baseline_days ?? DEFAULT_BASELINE_DAYS}): only that much history is read, so the detector would never raise anything`,
        })
        .optional(),
      runaway_session: z
        .strictObject({
          ...on,
          window_minutes: minutes(240).optional(),
          history_days: days.optional(),
          identity_factor: z.number().min(1, 'must be at least 1').optional(),
          org_quantile: z.number().min(0.5, 'must be between 0.5 and 1').max(1, 'must be between 0.5 and 1').optional(),
          min_usd_per_hour: dollars.optional(),
          min_sessions: z.number().int().min(1).optional(),
        })
        .optional(),
      agent_loop: z.strictObject({ ...on, window_minutes: minutes(24 * 60).optional(), min_repeats: z.number().int().min(2, 'must be at least 2').optional() }).optional(),
      retry_storm: z.strictObject({ ...on, window_minutes: minutes(240).optional(), min_events: z.number().int().min(1).optional(), min_error_share: share.optional() }).optional(),
      cache_regression: z
        .strictObject({
          ...on,
          window_minutes: minutes(24 * 60).optional(),
          baseline_days: days.optional(),
          min_baseline_share: share.optional(),
          drop: share.optional(),
          min_input_tokens: z.number().int().min(0).optional(),
          min_requests: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
          fast_window_minutes: z.number().min(0, 'must be a number of minutes ≥ 0 (0 turns it off)').max(24 * 60, 'must be at most 1440 minutes').optional(),
          fast_drop: share.optional(),
          warm_min_requests: z.number().int('must be a whole number').min(0, 'must be 0 (off) or more').optional(),
          warm_min_input_tokens: z.number().int().min(0).optional(),
          warm_min_sessions: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
        })
        .optional(),
    })
    .optional(),
});

type AnomaliesFile = z.infer<typeof anomaliesSchema>;

const MIN = 60_000;

/**
 * The file's `anomalies` section over the defaults; the spike baseline follows the policy's
 * time zone. Unset, `enabled` follows `alerting`: with no alert webhook there is no one to tell,
 * and each evaluation's thread costs the gateway memory (docs/anomalies.md).
 */
export function anomalySettings(f: AnomaliesFile | undefined, timeZone = 'UTC', alerting = true): AnomalySettings {
  const s = defaultAnomalySettings();
  const d = f?.detectors;
  const ms = (m: number | undefined, fallback: number) => (m === undefined ? fallback : Math.round(m * MIN));
  const money = (v: number | undefined, fallback: bigint) => (v === undefined ? fallback : usd(v));
  const x = s.detectors;
  return {
    enabled: f?.enabled ?? (s.enabled && alerting),
    intervalMs: f?.interval_seconds === undefined ? s.intervalMs : Math.round(f.interval_seconds * 1000),
    lateHorizonMs: f?.late_horizon_hours === undefined ? s.lateHorizonMs : Math.round(f.late_horizon_hours * 3_600_000),
    detectors: {
      spend_spike: {
        enabled: d?.spend_spike?.enabled ?? true,
        windowMs: ms(d?.spend_spike?.window_minutes, x.spend_spike.windowMs),
        baselineDays: d?.spend_spike?.baseline_days ?? x.spend_spike.baselineDays,
        // A baseline shorter than the default history requirement lowers it: a longer one could never be met.
        minHistoryDays: d?.spend_spike?.min_history_days ?? Math.min(x.spend_spike.minHistoryDays, d?.spend_spike?.baseline_days ?? Infinity),
        minRatio: d?.spend_spike?.min_ratio ?? x.spend_spike.minRatio,
        madK: d?.spend_spike?.mad_k ?? x.spend_spike.madK,
        minExcessPicos: money(d?.spend_spike?.min_excess_usd, x.spend_spike.minExcessPicos),
        dimensions: d?.spend_spike?.dimensions ?? x.spend_spike.dimensions,
        timeZone,
      },
      runaway_session: {
        enabled: d?.runaway_session?.enabled ?? true,
        windowMs: ms(d?.runaway_session?.window_minutes, x.runaway_session.windowMs),
        historyDays: d?.runaway_session?.history_days ?? x.runaway_session.historyDays,
        identityFactor: d?.runaway_session?.identity_factor ?? x.runaway_session.identityFactor,
        orgQuantile: d?.runaway_session?.org_quantile ?? x.runaway_session.orgQuantile,
        minPicosPerHour: money(d?.runaway_session?.min_usd_per_hour, x.runaway_session.minPicosPerHour),
        minSessions: d?.runaway_session?.min_sessions ?? x.runaway_session.minSessions,
      },
      agent_loop: {
        enabled: d?.agent_loop?.enabled ?? true,
        windowMs: ms(d?.agent_loop?.window_minutes, x.agent_loop.windowMs),
        minRepeats: d?.agent_loop?.min_repeats ?? x.agent_loop.minRepeats,
      },
      retry_storm: {
        enabled: d?.retry_storm?.enabled ?? true,
        windowMs: ms(d?.retry_storm?.window_minutes, x.retry_storm.windowMs),
        minEvents: d?.retry_storm?.min_events ?? x.retry_storm.minEvents,
        minErrorShare: d?.retry_storm?.min_error_share ?? x.retry_storm.minErrorShare,
      },
      cache_regression: {
        enabled: d?.cache_regression?.enabled ?? true,
        windowMs: ms(d?.cache_regression?.window_minutes, x.cache_regression.windowMs),
        baselineDays: d?.cache_regression?.baseline_days ?? x.cache_regression.baselineDays,
        minBaselineShare: d?.cache_regression?.min_baseline_share ?? x.cache_regression.minBaselineShare,
        drop: d?.cache_regression?.drop ?? x.cache_regression.drop,
        minInputTokens: d?.cache_regression?.min_input_tokens ?? x.cache_regression.minInputTokens,
        minRequests: d?.cache_regression?.min_requests ?? x.cache_regression.minRequests,
        fastWindowMs: ms(d?.cache_regression?.fast_window_minutes, x.cache_regression.fastWindowMs),
        fastDrop: d?.cache_regression?.fast_drop ?? x.cache_regression.fastDrop,
        warmMinRequests: d?.cache_regression?.warm_min_requests ?? x.cache_regression.warmMinRequests,
        warmMinInputTokens: d?.cache_regression?.warm_min_input_tokens ?? x.cache_regression.warmMinInputTokens,
        warmMinSessions: d?.cache_regression?.warm_min_sessions ?? x.cache_regression.warmMinSessions,
      },
    },
  };
}
