import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { BEYOND_ANY_LIMIT } from '../policy/estimate.js';
import type { Budget, Increase } from '../policy/rules.js';
import { ALERT_TYPE_NAMES } from './defaults.js';
import { type AlertEvent, ALERT_TYPES, budgetFields, renderAlert } from './events.js';

const NOW = Date.parse('2026-11-20T09:30:00Z');
// Midnight of 1 December in Berlin.
const RESETS = Date.parse('2026-11-30T23:00:00Z');

const threshold: AlertEvent = {
  type: 'budget.threshold',
  budgetId: 'b_platform',
  budgetName: null,
  scope: 'team:platform',
  window: 'monthly',
  percent: 80,
  windowStart: Date.parse('2026-10-31T23:00:00Z'),
  resetsAt: RESETS,
  spentPicos: usd('4000'),
  limitPicos: usd('5000'),
};

const increase: Increase = {
  id: 'inc_1',
  scope: { kind: 'user', value: 'alice' },
  budgetId: null,
  amountPicos: usd('200'),
  hours: 8,
  reason: 'release week <!channel>\nplease',
  requestedBy: 'alice',
  status: 'pending',
  createdAt: NOW,
  decidedAt: null,
  decidedBy: null,
  note: null,
  expiresAt: null,
};

describe('renderAlert', () => {
  it('writes a threshold alert with amounts, in the organisation time zone', () => {
    const r = renderAlert(threshold, { showAmounts: true, timeZone: 'Europe/Berlin', now: NOW });
    expect(r.type).toBe('budget.threshold');
    expect(r.ts).toBe('2026-11-20T09:30:00.000Z');
    expect(r.text).toBe('Budget *team:platform monthly* reached 80% ($4,000.00 of $5,000.00); resets 2026-12-01 00:00 Europe/Berlin.');
    expect(r.data).toEqual({
      budget_id: 'b_platform',
      budget_name: null,
      scope: 'team:platform',
      window: 'monthly',
      percent: 80,
      window_start: '2026-10-31T23:00:00.000Z',
      resets_at: '2026-11-30T23:00:00.000Z',
      spent_usd: '4000',
      limit_usd: '5000',
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('leaves amounts out of text and data when amounts are hidden', () => {
    const r = renderAlert(threshold, { showAmounts: false, now: NOW });
    expect(r.text).toBe('Budget *team:platform monthly* reached 80%; resets 2026-11-30 23:00 UTC.');
    expect(r.data).not.toHaveProperty('spent_usd');
    expect(r.data).not.toHaveProperty('limit_usd');
    expect(JSON.stringify(r)).not.toContain('$');
  });

  it('names a named budget and says who was refused', () => {
    const e: AlertEvent = { ...threshold, type: 'budget.refused', budgetName: 'Platform', spentPicos: usd('5000'), requestId: 'req-1', user: 'bob', keyId: 'key_9' };
    const shown = renderAlert(e, { showAmounts: true, timeZone: 'Europe/Berlin' });
    expect(shown.text).toBe('Budget *Platform* (team:platform monthly) is spent ($5,000.00 of $5,000.00 used): refused request req-1 from *bob* (key key_9); resets 2026-12-01 00:00 Europe/Berlin.');
    expect(shown.data).toMatchObject({ request_id: 'req-1', user: 'bob', key_id: 'key_9', percent_used: 100, spent_usd: '5000' });
    const hidden = renderAlert(e, { showAmounts: false, timeZone: 'Europe/Berlin' });
    expect(hidden.text).toContain('is spent (100% used)');
    expect(hidden.data).not.toHaveProperty('spent_usd');
  });

  it('says a request too large to count (a huge max_tokens) could cost more than the whole limit, with no amount for it', () => {
    const e: AlertEvent = { ...threshold, type: 'budget.refused', spentPicos: usd('10'), requestId: 'req-2', user: 'bob', keyId: 'key_9', requestPicos: BEYOND_ANY_LIMIT };
    const shown = renderAlert(e, { showAmounts: true, timeZone: 'Europe/Berlin' });
    expect(shown.text).toBe('Budget *team:platform monthly* refused request req-2 from *bob* (key key_9): it could cost more than the whole limit ($10.00 of $5,000.00 used); resets 2026-12-01 00:00 Europe/Berlin.');
    expect(shown.data).toMatchObject({ larger_than_limit: true, spent_usd: '10' });
    expect(shown.data).not.toHaveProperty('request_estimate_usd');
  });

  it('puts the approve and deny links in an increase request and escapes user text for Slack', () => {
    const r = renderAlert({ type: 'increase.requested', increase, approveUrl: 'https://tg.example/approvals/inc_1/approve?exp=1&sig=a', denyUrl: 'https://tg.example/approvals/inc_1/deny?exp=1&sig=b' }, { showAmounts: true });
    expect(r.text).toBe(
      '*alice* asks for $200.00 more on *user:alice* for 8h: "release week &lt;!channel&gt; please" (inc_1). Approve: https://tg.example/approvals/inc_1/approve?exp=1&sig=a · Deny: https://tg.example/approvals/inc_1/deny?exp=1&sig=b',
    );
    expect(r.data).toMatchObject({ id: 'inc_1', amount_usd: '200', hours: 8, reason: increase.reason, approve_url: expect.stringContaining('/approve?'), deny_url: expect.stringContaining('/deny?'), decided_at: null });
  });

  it('writes an increase request without links or amounts', () => {
    const r = renderAlert({ type: 'increase.requested', increase: { ...increase, budgetId: 'b_2' } }, { showAmounts: false });
    expect(r.text).toBe('*alice* asks for more budget on *user:alice* (budget b_2 only) for 8h: "release week &lt;!channel&gt; please" (inc_1).');
    expect(r.data).not.toHaveProperty('amount_usd');
    expect(r.data).not.toHaveProperty('approve_url');
  });

  it('writes decisions and expiry', () => {
    const decided = { ...increase, status: 'approved' as const, decidedAt: NOW, decidedBy: 'carol', note: 'go', expiresAt: NOW + 8 * 3_600_000 };
    expect(renderAlert({ type: 'increase.approved', increase: decided }, { showAmounts: true }).text).toBe(
      "Approved by *carol*: *alice*'s increase of $200.00 on *user:alice* (inc_1) for 8h, until 2026-11-20 17:30 UTC. Note: \"go\"",
    );
    const denied = { ...decided, status: 'denied' as const, expiresAt: null, note: null };
    expect(renderAlert({ type: 'increase.denied', increase: denied }, { showAmounts: false }).text).toBe("Denied by *carol*: *alice*'s increase on *user:alice* (inc_1) for 8h.");
    const expired = renderAlert({ type: 'increase.expired', increase: { ...decided, status: 'expired' } }, { showAmounts: true });
    expect(expired.text).toBe("Expired: *alice*'s increase of $200.00 on *user:alice* (inc_1) ended at 2026-11-20 17:30 UTC; the limit is back to normal.");
    expect(expired.data).toMatchObject({ status: 'expired', expires_at: '2026-11-20T17:30:00.000Z', decided_by: 'carol' });
  });

  it('writes counter outages', () => {
    const open = renderAlert({ type: 'counters.fail_open', message: 'connect ECONNREFUSED', count: 3 }, { showAmounts: true });
    expect(open.text).toBe('*Budget counters are unreachable*: requests are admitted without budget checks (fail open); 3 times since the last alert. Error: connect ECONNREFUSED');
    expect(open.data).toEqual({ message: 'connect ECONNREFUSED', count: 3 });
    expect(renderAlert({ type: 'counters.fail_closed', message: 'x', count: 1 }, { showAmounts: true }).text).toContain('refused (fail closed); 1 time since');
  });

  it('derives the budget fields from a budget', () => {
    const b = { id: 'b1', name: 'Nightly', scope: { kind: 'project', value: 'web' }, window: { kind: 'rolling', ms: 5 * 3_600_000 } } as Budget;
    expect(budgetFields(b)).toEqual({ budgetId: 'b1', budgetName: 'Nightly', scope: 'project:web', window: 'rolling 5h' });
  });

  it('lists every alert type', () => {
    expect(ALERT_TYPES).toHaveLength(13); // 8 budget, increase and counter types, 5 anomaly.*
    expect(ALERT_TYPES).toContain('counters.fail_closed');
    // The config checks webhook filters against this list, which must not leave an alert type out.
    expect([...ALERT_TYPE_NAMES].sort()).toEqual([...ALERT_TYPES].sort());
  });
});
