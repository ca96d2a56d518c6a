import { anomalyAlert } from './alerts/anomaly-alerts.js';
import type { AlertSink } from './alerts/events.js';
import { type Evaluator, type EvaluatorSpec, PerEvaluation, RemoteEvaluator, inProcessEvaluator } from './anomalies/evaluator.js';
import type { AnomalySettings } from './anomalies/types.js';
import { AnomalyWatch } from './anomalies/watch.js';
import { newRequestId } from './core/ids.js';
import type { Logger } from './core/logger.js';
import type { RateBook } from './pricing/unit-rates.js';
import type { Storage } from './storage/ports.js';

export interface AnomalyOptions {
  settings: AnomalySettings;
  rates: RateBook;
  alerts: AlertSink;
  /** `alerts.public_url`: makes evidence links absolute. */
  publicUrl: string | undefined;
  /**
   * Evaluate in a child process per evaluation, with its own connection to this storage; it
   * asks this process for the rates above. Without it (an in-memory SQLite), evaluations run
   * on the main thread.
   */
  remote?: Omit<EvaluatorSpec, 'settings'>;
  now?: () => number;
  /** False: no timer; the caller drives `check()` (tests with an injected clock). */
  timer?: boolean;
  /** Storage's arrival cursor from before this process replayed its spool (see WatchDeps.cursor). */
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
    raise: (d, at) => {
      log.warn(`anomaly: ${d.message}`, { detector: d.detector, subject: d.subject, key: d.key });
      o.alerts.send(anomalyAlert(d, o.publicUrl));
      storage.policy
        .appendAudit({ id: `aud_${newRequestId(at).replace(/-/g, '')}`, ts: at, actor: 'tollgate', action: `anomaly.${d.detector}`, subject: d.subject, details: { key: d.key, message: d.message } })
        .catch((err: unknown) => log.warn('could not write the audit log', { err: String(err) }));
    },
    onError: (err) => log.warn('anomaly detection could not run', { err: String(err) }),
    onLate: (late) => {
      if (late.tooOld > 0) log.warn(`anomaly: rows written late belong to ${late.tooOld} evaluation(s) older than anomalies.late_horizon_hours; not evaluated live (tollgate detect replays them)`, {});
      if (late.owed > 0) log.info('anomaly: evaluations owed to rows written late, left for the next passes', { evaluated: late.evaluated, owed: late.owed });
    },
    now,
    cursor: o.cursor,
  });
  if (o.timer !== false) watch.start();
  return watch;
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
