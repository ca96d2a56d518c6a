import { formatUsd } from '../core/money.js';
import type { Raised } from './replay.js';

/** A detection as JSON (the replay's and the API's shape). */
export function raisedJson(r: Raised) {
  const d = r.detection;
  return {
    raised_at: new Date(r.at).toISOString(),
    detector: d.detector,
    subject: d.subject,
    severity: d.severity,
    window_start: new Date(d.windowStart).toISOString(),
    window_end: new Date(d.windowEnd).toISOString(),
    excess_usd: formatUsd(d.excessPicos),
    message: d.message,
    evidence: { report: d.evidence.report, request_ids: d.evidence.requestIds, session_ids: d.evidence.sessionIds },
    key: d.key,
  };
}
