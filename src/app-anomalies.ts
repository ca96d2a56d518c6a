import { type AlertLinks, anomalyAlert } from './alerts/anomaly-alerts.js';
import type { AlertSink } from './alerts/events.js';
import { type Evaluator, type EvaluatorSpec, PerEvaluation, RemoteEvaluator, inProcessEvaluator } from './anomalies/evaluator.js';
import type { LiveState } from './anomalies/live.js';
import { episodesFrom } from './anomalies/episodes.js';
import { type AnomalySettings, DETECTORS, type DetectorId } from './anomalies/types.js';
import { AnomalyWatch, type WatchDeps } from './anomalies/watch.js';
import { newRequestId } from './core/ids.js';
import type { Logger } from './core/logger.js';
import type { RateBook } from './pricing/unit-rates.js';
import type { Storage } from './storage/ports.js';
import { isLockBusy } from './storage/sqlite/db.js';

export interface AnomalyOptions {
  settings: AnomalySettings;
  rates: RateBook;
  alerts: AlertSink;
  /** `alerts.public_url` makes evidence links absolute; with `alerts.signing_secret` too, they are signed pages. */
  links: AlertLinks;
  /**
   * Evaluate in a child process per evaluation, with its own connection to this storage; it
   * asks this process for the rates above. Without it (an in-memory SQLite), evaluations run
   * on the main thread.
   */
  remote?: Omit<EvaluatorSpec, 'settings'>;
  now?: () => number;
  /** False: no timer; the caller drives `check()` (tests with an injected clock). */
  timer?: boolean;
  /** Storage's arrival cursor from before this process replayed its spool, for when no state was saved (see WatchDeps.start). */
  cursor?: string | undefined;
}

/** Starts the anomaly scheduler of `serve` (when enabled): detections become audited, de-duplicated alerts. */
export async function startAnomalies(o: AnomalyOptions, storage: Storage, flushLedger: () => Promise<void>, log: Logger): Promise<AnomalyWatch | undefined> {
  if (!o.settings.enabled) return undefined;
  const now = o.now ?? Date.now;
  const watch = new AnomalyWatch({
    evaluator: await evaluator(o, storage, log),
    intervalMs: o.settings.intervalMs,
    flush: flushLedger,
    claim: (key, at) => storage.policy.claimAlert(key, at),
    joinEpisode: (e, gapMs) => storage.policy.joinEpisode(e, gapMs),
    raise: (d, at, late) => {
      log.warn(`anomaly: ${d.message}`, { detector: d.detector, subject: d.subject, key: d.key, ...(late && { foundLate: true }) });
      o.alerts.send(anomalyAlert(d, o.links, at, late));
      const details = { key: d.key, message: d.message, ...(late && { foundLate: true }) };
      storage.policy
        .appendAudit({ id: `aud_${newRequestId(at).replace(/-/g, '')}`, ts: at, actor: 'tollgate', action: `anomaly.${d.detector}`, subject: d.subject, details })
        .catch((err: unknown) => log.warn('could not write the audit log', { err: String(err) }));
    },
    onError: (err) => log.warn('anomaly detection could not run', { err: String(err) }),
    onLate: (late) => {
      if (late.tooOld > 0) log.warn(`anomaly: rows written late belong to ${late.tooOld} evaluation(s) older than anomalies.late_horizon_hours; not evaluated live (tollgate detect replays them)`, {});
      if (late.owed > 0) log.info('anomaly: evaluations owed to rows written late, left for the next passes', { evaluated: late.evaluated, owed: late.owed });
    },
    now,
    ...(await resumed(o, storage, log)),
  });
  if (o.timer !== false) watch.start();
  return watch;
}

/**
 * Where the first pass starts, and how each pass's state is kept: the state the last pass of any
 * replica saved, so that the rows written while no gateway ran and the late evaluations still
 * owed are looked at. Any replica's state is a place up to which the arrivals were judged and
 * their anomalies claimed, so the last save wins.
 */
async function resumed(o: AnomalyOptions, storage: Storage, log: Logger): Promise<Pick<WatchDeps, 'start' | 'save'>> {
  if (o.settings.lateHorizonMs <= 0) return {};
  const saved = await storage.ledger.watchCursor().catch((err: unknown) => log.warn('anomaly: could not read where detection stood; rows written while no gateway ran are not looked at', { err: String(err) }));
  let last = saved ? JSON.stringify(saved) : '';
  return {
    start: saved ? { cursor: saved.cursor, ...carriedFrom(saved.owed) } : { cursor: o.cursor, owed: [] },
    save: async (state, at) => {
      if (state.cursor === undefined) return;
      const next = { cursor: state.cursor, owed: JSON.stringify({ owed: state.owed, episodes: state.episodes ?? [] }) };
      // An idle SQLite gateway need not write every interval.
      if (JSON.stringify(next) === last) return;
      try {
        await storage.ledger.saveWatchCursor(next, at);
        last = JSON.stringify(next);
      } catch (err) {
        // An import holding SQLite's write lock: the next pass saves.
        if (!isLockBusy(err)) log.warn('anomaly: could not save where detection stands (a restart would look at arrivals again from an earlier place)', { err: String(err) });
      }
    },
  };
}

/**
 * The owed evaluations and open episodes as saved (an array of owed evaluations alone before
 * episodes were kept); what does not read as such is dropped.
 */
function carriedFrom(text: string): Pick<LiveState, 'owed' | 'episodes'> {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return { owed: owedFrom(v) };
    if (typeof v !== 'object' || v === null) return { owed: [] };
    const o = v as { owed?: unknown; episodes?: unknown };
    return { owed: owedFrom(o.owed), episodes: episodesFrom(o.episodes) };
  } catch {
    return { owed: [] };
  }
}

function owedFrom(v: unknown): LiveState['owed'] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((e: unknown): LiveState['owed'] => {
    if (!Array.isArray(e) || typeof e[0] !== 'number' || !Array.isArray(e[1])) return [];
    const ids = (e[1] as unknown[]).filter((id): id is DetectorId => (DETECTORS as readonly unknown[]).includes(id));
    return ids.length ? [[e[0], ids]] : [];
  });
}

async function evaluator(o: AnomalyOptions, storage: Storage, log: Logger): Promise<Evaluator> {
  if (o.remote) {
    try {
      const spec = { ...o.remote, settings: o.settings };
      return await PerEvaluation.start(() => RemoteEvaluator.startProcess(spec, o.rates));
    } catch (err) {
      // Detection still runs, at the cost the process exists to avoid; the log says why.
      log.warn('anomaly detection runs on the main thread: its evaluation process did not start', { err: String(err) });
    }
  }
  return inProcessEvaluator(storage.ledger, o.settings, o.rates);
}
