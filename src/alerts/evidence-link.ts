import { reportQuery } from '../anomalies/evidence.js';
import { DETECTORS, type Detection, type DetectorId, type Severity } from '../anomalies/types.js';
import { type Dimension, isDimension } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { LINK_MS, type LinkCheck, type SignedFields, signQuery, verifyQuery } from './signed-link.js';

/** Example requests a link carries (the page shows each one's row). */
const MAX_IDS = 10;

/** What an evidence link says about one detection: all the page needs besides the ledger. */
export interface EvidenceSpec {
  detector: DetectorId;
  subject: string;
  severity: Severity;
  windowStart: number;
  windowEnd: number;
  detectedAt: number;
  foundLate: boolean;
  excessPicos: Picos;
  message: string;
  /** The report that shows the traffic (the alert's admin report). */
  report: { since: number; until: number; by: Dimension[] };
  requestIds: string[];
  sessionIds: string[];
}

export type EvidenceCheck = { check: 'ok'; spec: EvidenceSpec } | { check: Exclude<LinkCheck, 'ok'> };

export function evidenceSpec(d: Detection, detectedAt: number, foundLate: boolean): EvidenceSpec {
  return {
    detector: d.detector,
    subject: d.subject,
    severity: d.severity,
    windowStart: d.windowStart,
    windowEnd: d.windowEnd,
    detectedAt,
    foundLate,
    excessPicos: d.excessPicos,
    message: d.message,
    report: reportQuery(d.evidence.report),
    requestIds: d.evidence.requestIds.slice(0, MAX_IDS),
    sessionIds: d.evidence.sessionIds.slice(0, MAX_IDS),
  };
}

/** The link's fields, in order; the signature covers them all. */
const FIELDS = ['d', 's', 'v', 'from', 'to', 'at', 'late', 'x', 'm', 'since', 'until', 'by', 'r', 'ss'] as const;

/**
 * A link to the page that shows a detection's evidence, readable without the admin token
 * for LINK_DAYS after it was detected: the people in the alert channel are the ones meant to look. Everything
 * the page shows beyond the ledger is in the link, under the signature, so any replica can
 * serve it and nobody can point it at other data.
 */
export function signEvidenceLink(baseUrl: string, secret: string, spec: EvidenceSpec): string {
  const fields: SignedFields = [
    ['d', spec.detector],
    ['s', spec.subject],
    ['v', spec.severity],
    ['from', String(spec.windowStart)],
    ['to', String(spec.windowEnd)],
    ['at', String(spec.detectedAt)],
    ['late', spec.foundLate ? '1' : '0'],
    ['x', String(spec.excessPicos)],
    ['m', spec.message],
    ['since', String(spec.report.since)],
    ['until', String(spec.report.until)],
    ['by', spec.report.by.join(',')],
    ['r', spec.requestIds],
    ['ss', spec.sessionIds],
  ];
  return `${baseUrl.replace(/\/+$/, '')}/evidence?${signQuery(secret, 'evidence', fields, Math.floor(spec.detectedAt + LINK_MS)).toString()}`;
}

/** Reads a link's query: its signature first, so that only an authentic link is ever read (or called expired). */
export function readEvidenceLink(secret: string, q: URLSearchParams, now: number): EvidenceCheck {
  const check = verifyQuery(secret, 'evidence', FIELDS, q, now);
  if (check !== 'ok') return { check };
  const spec = specFrom(q);
  return spec ? { check, spec } : { check: 'bad_signature' };
}

function specFrom(q: URLSearchParams): EvidenceSpec | undefined {
  const detector = q.get('d') ?? '';
  const severity = q.get('v');
  const times = ['from', 'to', 'at', 'since', 'until'].map((k) => (/^-?\d{1,16}$/.test(q.get(k) ?? '') ? Number(q.get(k)) : NaN));
  const excess = q.get('x') ?? '';
  const by = (q.get('by') ?? '').split(',').filter((x) => x !== '');
  if (!(DETECTORS as readonly string[]).includes(detector) || (severity !== 'warning' && severity !== 'critical')) return undefined;
  if (times.some((t) => !Number.isSafeInteger(t)) || !/^\d{1,30}$/.test(excess) || !by.every(isDimension)) return undefined;
  const [windowStart, windowEnd, detectedAt, since, until] = times as [number, number, number, number, number];
  return {
    detector: detector as DetectorId,
    subject: q.get('s') ?? '',
    severity,
    windowStart,
    windowEnd,
    detectedAt,
    foundLate: q.get('late') === '1',
    excessPicos: BigInt(excess),
    message: q.get('m') ?? '',
    report: { since, until, by },
    requestIds: q.getAll('r'),
    sessionIds: q.getAll('ss'),
  };
}
