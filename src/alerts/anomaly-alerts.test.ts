import { describe, expect, it } from 'vitest';
import type { Detection } from '../anomalies/types.js';
import { reportPath } from '../anomalies/evidence.js';
import { anomalyAlert } from './anomaly-alerts.js';
import { ALERT_TYPES, renderAlert } from './events.js';

const detection: Detection = {
  detector: 'cache_regression',
  subject: 'workflow:review',
  windowStart: Date.UTC(2026, 10, 18, 14, 0),
  windowEnd: Date.UTC(2026, 10, 18, 14, 15),
  severity: 'critical',
  excessPicos: 12_340_000_000_000n,
  message: "Workflow review's cache-read share of input fell from 72% to 3% in the last 15 min: $12.34 extra so far, about $8,291.52 a week at this rate.",
  evidence: { report: '/admin/v1/report?since=a&until=b&by=tag%3Aworkflow', requestIds: ['r1', 'r<2>'], sessionIds: [] },
  key: 'cache_regression:review:20410',
};

const NO_LINKS = { publicUrl: undefined, secret: undefined };

describe('anomaly alerts', () => {
  it('are alert types webhooks can filter on', () => {
    expect(ALERT_TYPES).toEqual(expect.arrayContaining(['anomaly.spend_spike', 'anomaly.runaway_session', 'anomaly.agent_loop', 'anomaly.retry_storm', 'anomaly.cache_regression']));
  });

  it('carry the message, the dollar figure and an absolute evidence link', () => {
    const r = renderAlert(anomalyAlert(detection, { publicUrl: 'https://gw.example.com/', secret: undefined }, detection.windowEnd), { showAmounts: true, now: 0 });
    expect(r.type).toBe('anomaly.cache_regression');
    expect(r.text).toBe(
      "*Critical: cache regression* on workflow:review ($12.34 over): Workflow review's cache-read share of input fell from 72% to 3% in the last 15 min: $12.34 extra so far, about $8,291.52 a week at this rate. Evidence: https://gw.example.com/admin/v1/report?since=a&until=b&by=tag%3Aworkflow Requests: r1, r&lt;2&gt;.",
    );
    expect(r.data).toMatchObject({ detector: 'cache_regression', subject: 'workflow:review', severity: 'critical', excess_usd: '12.34', evidence_url: 'https://gw.example.com/admin/v1/report?since=a&until=b&by=tag%3Aworkflow', request_ids: ['r1', 'r<2>'], window_start: '2026-11-18T14:00:00.000Z', found_late: false, detected_at: '2026-11-18T14:15:00.000Z' });
  });

  it('list the client versions a cache regression names', () => {
    const clientVersions = [
      { client: 'claude-code', version: '2.1.198', requests: 40, share: 0.031_25, when: 'window' as const },
      { client: 'claude-code', version: '2.1.197', requests: 12, share: 0.8, when: 'before' as const },
    ];
    const r = renderAlert(anomalyAlert({ ...detection, evidence: { ...detection.evidence, clientVersions } }, NO_LINKS, detection.windowEnd), { showAmounts: true, now: 0 });
    expect(r.data.client_versions).toEqual([
      { client: 'claude-code', version: '2.1.198', requests: 40, cache_read_share: 0.0313, when: 'window' },
      { client: 'claude-code', version: '2.1.197', requests: 12, cache_read_share: 0.8, when: 'before' },
    ]);
    expect(renderAlert(anomalyAlert(detection, NO_LINKS, detection.windowEnd), { showAmounts: true, now: 0 }).data).not.toHaveProperty('client_versions');
  });

  it('say when the anomaly was found after the fact, in rows written after its window was evaluated', () => {
    const at = Date.UTC(2026, 10, 18, 17, 2, 30);
    const r = renderAlert(anomalyAlert(detection, NO_LINKS, at, true), { showAmounts: true, timeZone: 'Europe/Berlin', now: at });
    expect(r.data).toMatchObject({ found_late: true, detected_at: '2026-11-18T17:02:30.000Z', window_start: '2026-11-18T14:00:00.000Z', window_end: '2026-11-18T14:15:00.000Z' });
    expect(r.text).toMatch(/^\*Critical: cache regression, found late\* on workflow:review \(\$12\.34 over\): /);
    expect(r.text).toContain(' Found late: this was 2026-11-18 15:00 Europe/Berlin to 2026-11-18 15:15 Europe/Berlin, in rows written after that was evaluated. Evidence: ');
    // The anomaly itself is described as tollgate detect describes it.
    expect(r.text).toContain(detection.message);
  });

  it('leave every amount out when amounts are hidden', () => {
    const r = renderAlert(anomalyAlert(detection, NO_LINKS, detection.windowEnd), { showAmounts: false, now: 0 });
    expect(r.text).not.toMatch(/\$\d/);
    expect(JSON.stringify(r.data)).not.toMatch(/\$\d|excess_usd/);
    expect(r.data.evidence_url).toBe('/admin/v1/report?since=a&until=b&by=tag%3Aworkflow');
    // The signed evidence link travels with the alert: it carries no amount either.
    const spike = { ...detection, evidence: { ...detection.evidence, report: reportPath(detection.windowStart, detection.windowEnd, ['tag:workflow']) } };
    const signed = renderAlert(anomalyAlert(spike, { publicUrl: 'https://gw.example.com/', secret: 'a-signing-secret-of-length', showAmounts: false }, spike.windowEnd), { showAmounts: false, now: 0 });
    const link = new URL(signed.data.evidence_url as string);
    expect(link.searchParams.get('m')).not.toMatch(/\$\d/);
    expect(link.searchParams.get('x')).toBe('0');
    expect(signed.text).not.toMatch(/\$\d/);
  });

  it('link a signed evidence page when a signing secret is set, and keep the admin report for machines', () => {
    const spike = { ...detection, evidence: { ...detection.evidence, report: reportPath(detection.windowStart, detection.windowEnd, ['tag:workflow']) } };
    const r = renderAlert(anomalyAlert(spike, { publicUrl: 'https://gw.example.com/', secret: 'a-signing-secret-of-length' }, spike.windowEnd), { showAmounts: true, now: 0 });
    const link = new URL(r.data.evidence_url as string);
    expect(link.origin + link.pathname).toBe('https://gw.example.com/evidence');
    expect(link.searchParams.get('s')).toBe('workflow:review');
    expect(link.searchParams.getAll('r')).toEqual(['r1', 'r<2>']);
    expect(Number(link.searchParams.get('exp'))).toBe(spike.windowEnd + 7 * 86_400_000);
    expect(r.data.report_url).toBe(`https://gw.example.com${spike.evidence.report}`);
    expect(r.text).toContain(`Evidence: ${link.href}`);
  });
});
