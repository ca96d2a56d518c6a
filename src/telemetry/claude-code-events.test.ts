import { describe, expect, it } from 'vitest';
import { claudeCodeCall, isApiRequest } from './claude-code-events.js';
import type { Attrs, LogItem } from './otlp-model.js';
import { toLedgerRow } from './telemetry-row.js';
import { createPricer } from '../pricing/index.js';

const END = 1_764_496_805_000;

function record(attrs: Attrs, over: Partial<LogItem> = {}): LogItem {
  return { resource: { 'service.name': 'claude-code' }, scope: 'com.anthropic.claude_code.events', attrs, eventName: '', timeNanos: BigInt(END) * 1_000_000n, observedNanos: 0n, body: 'claude_code.api_request', traceId: '', spanId: '', ...over };
}

const base = { model: 'claude-opus-4-1', input_tokens: 10, output_tokens: 20, cache_read_tokens: 300, cache_creation_tokens: 40, duration_ms: 2000, 'session.id': 's1', request_id: 'req_1' };

describe('claude_code.api_request events', () => {
  it('is recognised by body, event name or event.name attribute', () => {
    expect(isApiRequest(record({}))).toBe(true);
    expect(isApiRequest(record({}, { body: null, eventName: 'claude_code.api_request' }))).toBe(true);
    expect(isApiRequest(record({ 'event.name': 'api_request' }, { body: null }))).toBe(true);
    expect(isApiRequest(record({ 'event.name': 'api_request' }, { body: null, scope: 'x', resource: {} }))).toBe(false);
    expect(isApiRequest(record({ 'event.name': 'user_prompt' }, { body: 'claude_code.user_prompt' }))).toBe(false);
  });

  it("adds cache reads and writes to Anthropic's uncached input; the row starts when the call did", () => {
    const c = claudeCodeCall(record(base));
    expect(c).toMatchObject({
      ts: END - 2000,
      latencyMs: 2000,
      usage: { inputTokens: 350, cacheReadTokens: 300, cacheWriteTokens: 40, cacheWrite1hTokens: 0, outputTokens: 20, reasoningTokens: 0, toolCalls: 0 },
      upstreamRequestId: 'req_1',
      sessionId: 's1',
      model: 'claude-opus-4-1',
      source: 'claude-code-otel',
    });
  });

  it('a fast-mode call carries the speed its price depends on (6x on Opus 4.6), and is priced so as a row', () => {
    const fast = claudeCodeCall(record({ ...base, model: 'claude-opus-4-6', speed: 'fast' }));
    const standard = claudeCodeCall(record({ ...base, model: 'claude-opus-4-6', speed: 'normal' }));
    if ('reject' in fast || 'reject' in standard) throw new Error('rejected');
    expect(fast.usage.speed).toBe('fast');
    expect(standard.usage.speed).toBeUndefined();
    const price = createPricer();
    const sender = { keyId: null, user: null, team: null, project: null, tags: {} };
    const cost = (c: typeof fast) => toLedgerRow(c, sender, price).costPicos!;
    expect(cost(fast)).toBe(cost(standard) * 6n);
    expect(toLedgerRow(fast, sender, price).serviceTier).toBe('fast');
    expect('serviceTier' in toLedgerRow(standard, sender, price)).toBe(false);
  });

  it('a model labelled [1m] (1M-context mode) is its model, priced so, long-context prices by its own input; the label stays as asked for', () => {
    const price = createPricer();
    const sender = { keyId: null, user: null, team: null, project: null, tags: {} };
    const rowOf = (model: string, input: number) => {
      const c = claudeCodeCall(record({ ...base, model, input_tokens: input, cache_read_tokens: 0, cache_creation_tokens: 0 }));
      if ('reject' in c) throw new Error('rejected');
      return toLedgerRow(c, sender, price);
    };
    for (const input of [1_000, 300_000]) {
      const labelled = rowOf('claude-sonnet-4-5[1m]', input);
      expect(labelled).toMatchObject({ model: 'claude-sonnet-4-5', modelRequested: 'claude-sonnet-4-5[1m]', unpriced: false });
      expect(labelled.costPicos).toBe(rowOf('claude-sonnet-4-5', input).costPicos);
    }
    // 300,000 × 6e6 + 20 × 22.5e6: past 200K, at the long-context prices.
    expect(rowOf('claude-sonnet-4-5[1m]', 300_000).costPicos).toBe(1_800_450_000_000n);
    expect(rowOf('claude-sonnet-4-5[1M]', 1_000)).toMatchObject({ model: 'claude-sonnet-4-5', modelRequested: 'claude-sonnet-4-5[1M]', unpriced: false });
    expect(rowOf('claude-sonnet-4-5[2m]', 1_000)).toMatchObject({ model: 'claude-sonnet-4-5[2m]', costPicos: null, unpriced: true });
  });

  it('reads numbers sent as text (older Claude Code versions stringify attributes)', () => {
    const c = claudeCodeCall(record({ ...base, input_tokens: '10', output_tokens: '20', duration_ms: '2000' }));
    expect(c).toMatchObject({ usage: { inputTokens: 350, outputTokens: 20 }, latencyMs: 2000 });
  });

  it('attributes: record attributes win over resource attributes; email before account uuid', () => {
    const c = claudeCodeCall(
      record({ ...base, 'user.account_uuid': 'acct', 'user.email': 'a@x.io', 'workflow.name': 'nightly', 'prompt.id': 'p1', 'organization.id': 'org' }, { resource: { 'service.name': 'claude-code', 'team.id': 'res-team', 'tollgate.project': 'proj', department: 'eng' } }),
    );
    expect(c).toMatchObject({ user: 'a@x.io', team: 'res-team', project: 'proj', tags: { workflow: 'nightly', prompt_id: 'p1', organization: 'org', department: 'eng' } });
    expect(claudeCodeCall(record({ ...base, 'user.account_uuid': 'acct' }))).toMatchObject({ user: 'acct' });
  });

  it('tags the call with Claude Code s version: app.version, else the resource s service.version', () => {
    expect(claudeCodeCall(record({ ...base, 'app.version': '2.1.197' }, { resource: { 'service.name': 'claude-code', 'service.version': '2.1.100' } }))).toMatchObject({ tags: { client_version: '2.1.197' } });
    expect(claudeCodeCall(record(base, { resource: { 'service.name': 'claude-code', 'service.version': '2.1.100' } }))).toMatchObject({ tags: { client_version: '2.1.100' } });
  });

  it('ids are deterministic: the request id names the call, else its place in the session', () => {
    const a = claudeCodeCall(record(base));
    const b = claudeCodeCall(record(base));
    const other = claudeCodeCall(record({ ...base, request_id: 'req_2' }));
    expect('id' in a && 'id' in b && a.id === b.id).toBe(true);
    expect('id' in a && 'id' in other && a.id !== other.id).toBe(true);
    const { request_id: _drop, ...noId } = base;
    const seq1 = claudeCodeCall(record({ ...noId, 'event.sequence': 1 }));
    const seq2 = claudeCodeCall(record({ ...noId, 'event.sequence': 2 }));
    expect('id' in seq1 && 'id' in seq2 && seq1.id !== seq2.id && seq1.upstreamRequestId === null).toBe(true);
    expect('id' in seq1 && /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(seq1.id)).toBe(true);
    expect('id' in a && /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(a.id)).toBe(true);
  });

  it('a copy of the event stamped at another time has the same id: one call, one row', () => {
    const first = claudeCodeCall(record(base));
    const later = claudeCodeCall(record(base, { timeNanos: BigInt(END + 40_000) * 1_000_000n }));
    const observed = claudeCodeCall(record(base, { timeNanos: 0n, observedNanos: BigInt(END + 7) * 1_000_000n }));
    if ('reject' in first || 'reject' in later || 'reject' in observed) throw new Error('rejected');
    expect(later.ts).not.toBe(first.ts);
    expect([later.id, observed.id]).toEqual([first.id, first.id]);
  });

  it('ends the call at the record s time, else event.timestamp, else the observed time: when it happened before when it was collected', () => {
    const stamped = { ...base, 'event.timestamp': new Date(END + 9).toISOString() };
    const observedNanos = BigInt(END + 60_000) * 1_000_000n;
    expect(claudeCodeCall(record(stamped, { observedNanos }))).toMatchObject({ ts: END - 2000 });
    expect(claudeCodeCall(record(stamped, { timeNanos: 0n, observedNanos }))).toMatchObject({ ts: END + 9 - 2000 });
    expect(claudeCodeCall(record(base, { timeNanos: 0n, observedNanos }))).toMatchObject({ ts: END + 60_000 - 2000 });
    // Read as UTC without an offset, as every other time; a day that does not exist is no time.
    expect(claudeCodeCall(record({ ...base, 'event.timestamp': new Date(END + 9).toISOString().slice(0, -1) }, { timeNanos: 0n, observedNanos }))).toMatchObject({ ts: END + 9 - 2000 });
    expect(claudeCodeCall(record({ ...base, 'event.timestamp': '2026-02-30T10:00:00Z' }, { timeNanos: 0n, observedNanos }))).toMatchObject({ ts: END + 60_000 - 2000 });
  });

  it('rejects an event without a model', () => {
    expect(claudeCodeCall(record({ input_tokens: 5 }))).toEqual({ reject: 'a claude_code.api_request event has no model attribute' });
    // A model sent as an int that is not a number reads as no value (it was a model named "0").
    expect(claudeCodeCall(record({ input_tokens: 5, model: null }))).toEqual({ reject: 'a claude_code.api_request event has no model attribute' });
  });
});
