import { describe, expect, it } from 'vitest';
import type { EvidenceView } from '../anomalies/evidence-view.js';
import { sampleRow } from '../storage/testing/rows.js';
import { emptyTotals } from '../storage/ports.js';
import { renderEvidencePage } from './evidence-page.js';

const AT = Date.UTC(2026, 10, 18, 14, 15);

function view(over: Partial<EvidenceView> = {}): EvidenceView {
  const row = { ...emptyTotals(), keys: ['<b>k</b>', 'curl'], requests: 3, inputTokens: 1200, costPicos: 2_500_000_000_000n, errors: 3 };
  return {
    spec: {
      detector: 'retry_storm',
      subject: 'key:<script>alert(1)</script>',
      severity: 'critical',
      windowStart: AT - 600_000,
      windowEnd: AT,
      detectedAt: AT,
      foundLate: true,
      excessPicos: 2_500_000_000_000n,
      message: 'key:<script> sent 3 requests: 3 failed ($2.50 spent on failures) & "retried".',
      report: { since: AT - 600_000, until: AT, by: ['key', 'client'] },
      requestIds: ['r-1', 'r-<2>'],
      sessionIds: ['s"1'],
    },
    traffic: { by: ['key', 'client'], subjectOnly: true, rows: [row], more: 0, total: row },
    change: undefined,
    requests: [sampleRow({ id: 'r-1', ts: AT - 60_000, user: 'carol<x>', status: 429, outcome: 'upstream_error', costPicos: 1_000_000_000n })],
    missing: ['r-<2>'],
    ...over,
  };
}

describe('the evidence page', () => {
  it('offers the explain command narrowed to the alert’s subject, as its paragraph is', () => {
    const window = (since: number, label: string) => ({ since, until: since + 600_000, label });
    const change = { from: window(AT - 86_400_000, 'a day earlier'), to: window(AT - 600_000, 'the alert window'), fromPicos: 0n, toPicos: 0n, drivers: [], roundingPicos: 0n, roundedInto: undefined, only: { field: 'user' as const, value: "o'brien" }, fromRequests: { requests: 1, unpricedRequests: 0 }, toRequests: { requests: 1, unpricedRequests: 0 }, summary: "User o'brien's spend held.", releases: [] };
    const html = renderEvidencePage(view({ change }), { showAmounts: true, timeZone: 'UTC', expiresAt: AT + 86_400_000 });
    expect(html).toMatch(/npx tollgate explain --from \S+ --to \S+ --user &#39;o&#39;\\&#39;&#39;brien&#39;/);
  });

  it('offers cache-report over the hour before a cache regression, which names the block that changed', () => {
    const base = view().spec;
    const html = renderEvidencePage(view({ spec: { ...base, detector: 'cache_regression', subject: 'workflow:coder' } }), { showAmounts: true, timeZone: 'UTC', expiresAt: AT + 86_400_000 });
    expect(html).toContain(`npx tollgate cache-report --since ${new Date(AT - 600_000 - 3_600_000).toISOString()} --until ${new Date(AT).toISOString()} --by workflow`);
    expect(renderEvidencePage(view(), { showAmounts: true, timeZone: 'UTC', expiresAt: AT + 86_400_000 })).not.toContain('cache-report');
  });

  it('escapes every value it shows', () => {
    const html = renderEvidencePage(view(), { showAmounts: true, timeZone: 'UTC', expiresAt: AT + 7 * 86_400_000 });
    expect(html).not.toMatch(/<script|<b>k|<2>|carol<x>|s"1/);
    expect(html).toContain('<h1>Critical: retry storm on key:&#60;script&#62;alert(1)&#60;/script&#62;</h1>');
    expect(html).toContain('&#60;b&#62;k&#60;/b&#62;');
    expect(html).toContain('Not in this ledger (yet): r-&#60;2&#62;.');
    expect(html).toContain('found late');
    expect(html).toContain('$2.50');
    expect(html).toContain('works until 2026-11-25 14:15 UTC');
  });

  it('shows no dollar figure when amounts are hidden', () => {
    const html = renderEvidencePage(view(), { showAmounts: false, timeZone: 'UTC', expiresAt: AT });
    expect(html).not.toMatch(/\$\d/);
    expect(html).toContain('failed (… spent on failures)');
  });

  it('says how many traffic rows it left out, and when there was none', () => {
    const some = view();
    const many = renderEvidencePage({ ...some, traffic: { ...some.traffic, more: 7 } }, { showAmounts: true, timeZone: 'UTC', expiresAt: AT });
    expect(many).toContain('And 7 more rows');
    const none = renderEvidencePage({ ...some, traffic: { ...some.traffic, rows: [], total: emptyTotals() } }, { showAmounts: true, timeZone: 'UTC', expiresAt: AT });
    expect(none).toContain('No requests in this window.');
  });
});
