import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { usagePoint } from './claude-code-metrics.js';
import type { PointItem } from './otlp-model.js';

const AT = 1_764_496_800_000n * 1_000_000n;

function point(over: Partial<PointItem>): PointItem {
  return { resource: { 'service.name': 'claude-code' }, scope: 'com.anthropic.claude_code', attrs: { 'session.id': 's', model: 'm', type: 'input', 'user.email': 'a@x.io' }, metric: 'claude_code.token.usage', unit: 'tokens', kind: 'sum', temporality: 1, startNanos: AT - 60_000_000_000n, timeNanos: AT, value: 1234, ...over };
}

describe("Claude Code's usage counters", () => {
  it('become cross-check points: tokens by type, cost in exact picodollars', () => {
    expect(usagePoint(point({}))).toMatchObject({ ts: 1_764_496_800_000, metric: 'claude_code.token.usage', sessionId: 's', user: 'a@x.io', model: 'm', tokenType: 'input', tokens: 1234, costPicos: 0n });
    const cost = usagePoint(point({ metric: 'claude_code.cost.usage', attrs: { 'session.id': 's', model: 'm' }, value: 0.1 + 0.2 }));
    expect(cost).toMatchObject({ tokenType: null, tokens: 0, costPicos: usd('0.3') });
  });

  it('only delta sums: a cumulative point would be summed over and over', () => {
    expect(usagePoint(point({ temporality: 2 }))).toEqual({ reject: 'claude_code.token.usage points must be delta sums: set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta' });
    expect(usagePoint(point({ kind: 'gauge', temporality: 0 }))).toHaveProperty('reject');
  });

  it('rejects an unknown token type', () => {
    expect(usagePoint(point({ attrs: { type: 'thinking' } }))).toEqual({ reject: 'a claude_code.token.usage point has type thinking, not one of input, output, cacheRead, cacheCreation' });
  });

  it('rejects a point no session can spend between two exports: over $1M, or over MAX_TOKENS tokens', () => {
    expect(usagePoint(point({ metric: 'claude_code.cost.usage', value: 1e13 }))).toEqual({ reject: 'a claude_code.cost.usage point of 10000000000000 USD is more than 1000000' });
    expect(usagePoint(point({ metric: 'claude_code.cost.usage', value: 1_000_000 }))).toMatchObject({ costPicos: usd('1000000') });
    expect(usagePoint(point({ value: 1e13 }))).toEqual({ reject: 'a claude_code.token.usage point of 10000000000000 tokens is more than 1000000000' });
  });

  it('ids are deterministic over the point and its resource', () => {
    const a = usagePoint(point({}));
    const b = usagePoint(point({}));
    const c = usagePoint(point({ resource: { 'service.name': 'claude-code', 'host.name': 'other' } }));
    expect('id' in a && 'id' in b && 'id' in c && a.id === b.id && a.id !== c.id).toBe(true);
  });
});
