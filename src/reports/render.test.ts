import { describe, expect, it } from 'vitest';
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
});
