import { formatUsd } from '../core/money.js';
import type { Raised } from './replay.js';
import type { Evidence } from './types.js';

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
    evidence: { report: d.evidence.report, request_ids: d.evidence.requestIds, session_ids: d.evidence.sessionIds, ...releasesJson(d.evidence) },
    key: d.key,
  };
}

/** A cache regression's client versions, when it names one (`client_versions`, cache-read share to 4 places). */
export function releasesJson(e: Evidence): { client_versions?: { client: string; version: string; requests: number; cache_read_share: number; when: string }[] } {
  if (!e.clientVersions) return {};
  return { client_versions: e.clientVersions.map((v) => ({ client: v.client, version: v.version, requests: v.requests, cache_read_share: Math.round(v.share * 10_000) / 10_000, when: v.when })) };
}
