import type { Detection } from '../anomalies/types.js';
import { displayUsd, formatUsd } from '../core/money.js';
import { releasesJson } from '../anomalies/render.js';
import { evidenceSpec, signEvidenceLink } from './evidence-link.js';
import type { JsonObject } from './events.js';
import { chatText, displayTime, iso, withoutAmounts } from './format.js';

export const ANOMALY_ALERT_TYPES = ['anomaly.spend_spike', 'anomaly.runaway_session', 'anomaly.agent_loop', 'anomaly.retry_storm', 'anomaly.cache_regression'] as const;
export type AnomalyAlertType = (typeof ANOMALY_ALERT_TYPES)[number];

/** An anomaly alert: the detection and where its evidence is (absolute when `alerts.public_url` is set). */
export interface AnomalyAlert {
  type: AnomalyAlertType;
  anomaly: Detection;
  /** The signed evidence page when links are on, else the admin report. */
  evidenceUrl: string;
  /** The admin report that shows the traffic (needs the admin token). */
  reportUrl: string;
  /** When the live scheduler found it. */
  detectedAt: number;
  /** Found after the fact: by a past evaluation run again for rows written after it, not by the present one. */
  foundLate: boolean;
}

/** `alerts.public_url` and `alerts.signing_secret`: with both, the evidence is a signed page anyone in the alert channel can open. */
export interface AlertLinks {
  publicUrl: string | undefined;
  secret: string | undefined;
  /** `policy.show_amounts`: without it, the link carries no dollar figure either (its text is in the alert). */
  showAmounts?: boolean;
}

export function anomalyAlert(d: Detection, links: AlertLinks, detectedAt: number, foundLate = false): AnomalyAlert {
  const base = links.publicUrl?.replace(/\/+$/, '') ?? '';
  const reportUrl = base + d.evidence.report;
  const spec = evidenceSpec(d, detectedAt, foundLate);
  // The link is read wherever the alert goes: its message and excess are as masked as the alert's.
  if (links.showAmounts === false) Object.assign(spec, { message: withoutAmounts(spec.message), excessPicos: 0n });
  const evidenceUrl = links.publicUrl && links.secret ? signEvidenceLink(links.publicUrl, links.secret, spec) : reportUrl;
  return { type: `anomaly.${d.detector}`, anomaly: d, evidenceUrl, reportUrl, detectedAt, foundLate };
}

/**
 * Text and data of an anomaly alert. Without `show`, amounts are left out of both (the
 * message's dollar figures included), as budget alerts do.
 */
export function describeAnomaly(e: AnomalyAlert, show: boolean, timeZone: string): { text: string; data: JsonObject } {
  const d = e.anomaly;
  const head = `*${d.severity === 'critical' ? 'Critical' : 'Warning'}: ${d.detector.replace(/_/g, ' ')}${e.foundLate ? ', found late' : ''}* on ${chatText(d.subject)}`;
  // The message speaks of "the last 5 min": for a late one, say which.
  const late = e.foundLate ? ` Found late: this was ${displayTime(d.windowStart, timeZone)} to ${displayTime(d.windowEnd, timeZone)}, in rows written after that was evaluated.` : '';
  const body = show ? chatText(d.message) : chatText(withoutAmounts(d.message));
  const ids = d.evidence.requestIds.length ? ` Requests: ${d.evidence.requestIds.map((x) => chatText(x)).join(', ')}.` : '';
  const data: JsonObject = {
    detector: d.detector,
    subject: d.subject,
    severity: d.severity,
    window_start: iso(d.windowStart),
    window_end: iso(d.windowEnd),
    message: show ? d.message : body,
    evidence_url: e.evidenceUrl,
    report_url: e.reportUrl,
    request_ids: d.evidence.requestIds,
    session_ids: d.evidence.sessionIds,
    ...releasesJson(d.evidence),
    key: d.key,
    found_late: e.foundLate,
    detected_at: iso(e.detectedAt),
  };
  if (show) data.excess_usd = formatUsd(d.excessPicos);
  return { text: `${head}${show ? ` (${displayUsd(d.excessPicos)} over)` : ''}: ${body}${late} Evidence: ${e.evidenceUrl}${ids}`, data };
}
