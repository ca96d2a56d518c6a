import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { RuleTotals } from '../storage/ports.js';
import { renderRuleTable } from './rule-report.js';

const totals = (o: Partial<RuleTotals>): RuleTotals => ({ rule: 'r', mode: 'enforce', requests: 0, errors: 0, unpricedRequests: 0, inputTokens: 0, outputTokens: 0, costPicos: 0n, savingPicos: 0n, ...o });

describe('renderRuleTable', () => {
  it('shows each money column, and the saving in the summary, on one scale', () => {
    const a = totals({ rule: 'small-to-local', requests: 3, costPicos: usd('0.0012'), savingPicos: usd('0.004980') });
    const b = totals({ rule: 'haiku', requests: 1, costPicos: usd('0.0003'), savingPicos: usd('0.000125') });
    const text = renderRuleTable({ since: undefined, until: undefined, rows: [a, b], totals: { enforce: totals({ mode: 'enforce', requests: 4, savingPicos: usd('0.005105') }), shadow: totals({ mode: 'shadow' }) } });
    expect(text).toContain('$0.00498');
    expect(text).toContain('$0.00013');
    expect(text).toContain('and saved $0.00511 (actual');
    expect(text).not.toContain('$0.01');
  });
});
