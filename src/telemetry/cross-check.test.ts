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

  it('compares counters exported without a session with the model rows of the sessions no counter names', () => {
    // OTEL_METRICS_INCLUDE_SESSION_ID=false on one machine: its counters name no session; another names s1.
    const rows = crossCheck(
      [counters({ sessionId: '', outputTokens: 300 }), counters({ sessionId: 's1', outputTokens: 50 })],
      [ledger({ keys: ['s7', 'claude-sonnet-4-5-20250929'], requests: 2, outputTokens: 200 }), ledger({ keys: ['', 'claude-sonnet-4-5'], outputTokens: 100 }), ledger({ keys: ['s1', 'claude-sonnet-4-5'], outputTokens: 50 })],
    );
    expect(rows.map((r) => [r.session, r.ledger.requests, r.ledger.output_tokens, r.missing_tokens])).toEqual([
      ['', 3, 300, 0],
      ['s1', 1, 50, 0],
    ]);
  });

  it("matches the counters' model label to the ledger's served model: a context-window tag, a dated snapshot", () => {
    const rows = crossCheck(
      [counters({ model: 'claude-opus-4-8[1m]', outputTokens: 100 }), counters({ model: 'claude-opus-4-8', outputTokens: 20 }), counters({ model: 'claude-sonnet-4-5', inputTokens: 12, outputTokens: 42 })],
      [ledger({ keys: ['s1', 'claude-opus-4-8'], requests: 2, outputTokens: 120 }), ledger({ keys: ['s1', 'claude-sonnet-4-5-20250929'], inputTokens: 12, outputTokens: 42 })],
    );
    expect(rows.map((r) => [r.model, r.ledger.requests, r.counters.output_tokens, r.missing_tokens])).toEqual([
      ['claude-opus-4-8', 2, 120, 0],
      ['claude-sonnet-4-5', 1, 42, 0],
    ]);
  });
});

