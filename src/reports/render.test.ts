import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { emptyTotals } from '../storage/ports.js';
import { renderTable } from './render.js';
import type { Report } from './report.js';

describe('report table', () => {
  it('writes (none) for a group without a value, and leaves the total row\'s other group columns blank', () => {
    const none = { top: 0, of: 0, share: null };
    const row = (keys: string[], requests: number) => ({ ...emptyTotals(), keys, requests });
    const report: Report = { query: { by: ['client', 'tag:workflow'] }, rows: [row(['curl', ''], 2), row(['curl', 'review'], 3)], total: { ...emptyTotals(), requests: 5 }, concentration: { sessions: none, workflows: none } };
    const lines = renderTable(report).split('\n');
    expect(lines[2]).toMatch(/^curl\s+\(none\)\s+2 /);
    expect(lines[3]).toMatch(/^curl\s+review\s+3 /);
    expect(lines[5]).toMatch(/^TOTAL\s+5 /);
  });

  it('writes costs as dollars and cents, thousands grouped, a sub-cent cost not as $0.00, unpriced rows starred', () => {
    const none = { top: 0, of: 0, share: null };
    const row = (keys: string[], costPicos: bigint, unpricedRequests = 0) => ({ ...emptyTotals(), keys, requests: 1, costPicos, unpricedRequests });
    const rows = [row(['big'], usd('1234.5')), row(['tiny'], usd('0.0042')), row(['free'], 0n, 1)];
    const report: Report = { query: { by: ['model'] }, rows, total: { ...emptyTotals(), requests: 3, costPicos: usd('1234.5042'), unpricedRequests: 1 }, concentration: { sessions: none, workflows: none } };
    const text = renderTable(report);
    expect(text).toMatch(/\nbig +1 .* \$1,234\.50 /);
    expect(text).toMatch(/\ntiny +1 .* \$0\.0042 /);
    expect(text).toMatch(/\nfree +1 .* \$0\.00\* /);
    expect(text).toMatch(/\nTOTAL +3 .* \$1,234\.50\* /);
  });
});
