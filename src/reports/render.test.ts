import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { emptyTotals } from '../storage/ports.js';
import { renderTable } from './render.js';
import type { Report } from './report.js';

const none = { top: 0, of: 0, share: null };
const report = (by: Report['query']['by'], rows: Report['rows'], total: Report['total']): Report => ({ query: { by }, rows, total, concentration: { sessions: none, workflows: none } });

describe('report table', () => {
  it('writes (none) for a group without a value, and leaves the total row\'s other group columns blank', () => {
    const row = (keys: string[], requests: number) => ({ ...emptyTotals(), keys, requests });
    const lines = renderTable(report(['client', 'tag:workflow'], [row(['curl', ''], 2), row(['curl', 'review'], 3)], { ...emptyTotals(), requests: 5 })).split('\n');
    expect(lines[2]).toMatch(/^curl\s+\(none\)\s+2 /);
    expect(lines[3]).toMatch(/^curl\s+review\s+3 /);
    expect(lines[5]).toMatch(/^TOTAL\s+5 /);
  });

  it('writes costs as dollars and cents, thousands grouped, a sub-cent cost not as $0.00, unpriced rows starred', () => {
    const row = (keys: string[], costPicos: bigint, unpricedRequests = 0) => ({ ...emptyTotals(), keys, requests: 1, costPicos, unpricedRequests });
    const rows = [row(['big'], usd('1234.5')), row(['tiny'], usd('0.0042')), row(['free'], 0n, 1)];
    const text = renderTable(report(['model'], rows, { ...emptyTotals(), requests: 3, costPicos: usd('1234.5042'), unpricedRequests: 1 }));
    expect(text).toMatch(/\nbig +1 .* \$1,234\.50 /);
    expect(text).toMatch(/\ntiny +1 .* <\$0\.01 /);
    expect(text).toMatch(/\nfree +1 .* \$0\.00\* /);
    expect(text).toMatch(/\nTOTAL +3 .* \$1,234\.50\* /);
  });
});
