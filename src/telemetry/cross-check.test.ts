import { describe, expect, it } from 'vitest';
import type { AggregateRow, TelemetryTotals } from '../storage/ports.js';
import { crossCheck } from './cross-check.js';

const counters = (o: Partial<TelemetryTotals>): TelemetryTotals => ({ sessionId: 's1', model: 'claude-sonnet-4-5', inputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, outputTokens: 0, costPicos: 0n, ...o }) as TelemetryTotals;
const ledger = (o: Partial<AggregateRow>): AggregateRow => ({ keys: ['s1', 'claude-sonnet-4-5'], requests: 1, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, costPicos: 0n, ...o }) as AggregateRow;

describe('the telemetry cross-check', () => {
  it('counts missing tokens class by class: more input in the ledger does not hide missing output', () => {
    const [row] = crossCheck([counters({ outputTokens: 5000 })], [ledger({ inputTokens: 9000, cacheReadTokens: 8000, outputTokens: 633 })]);
    expect(row!.missing_tokens).toBe(4367);
  });

  it('is 0 when the ledger holds at least what the counters say', () => {
    const [row] = crossCheck([counters({ inputTokens: 100, outputTokens: 50 })], [ledger({ inputTokens: 100, outputTokens: 50 })]);
    expect(row!.missing_tokens).toBe(0);
  });
});
