import { anomalyAlert } from './alerts/anomaly-alerts.js';
import type { AlertSink } from './alerts/events.js';
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
  now?: () => number;
}

/** Starts the anomaly scheduler of `serve` (when enabled): detections become audited, de-duplicated alerts. */
export function startAnomalies(o: AnomalyOptions, storage: Storage, flushLedger: () => Promise<void>, log: Logger): AnomalyWatch | undefined {
  if (!o.settings.enabled) return undefined;
  const now = o.now ?? Date.now;
  const watch = new AnomalyWatch({
    ledger: storage.ledger,
    settings: o.settings,
    rates: o.rates,
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
    now,
  });
  watch.start();
  return watch;
}
