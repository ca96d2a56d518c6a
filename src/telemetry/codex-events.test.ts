import { describe, expect, it } from 'vitest';
import { codexCall, isCodexCompletion } from './codex-events.js';
import { mapItems } from './map.js';
import type { Attrs, LogItem } from './otlp-model.js';
import { toLedgerRow } from './telemetry-row.js';
import { createPricer } from '../pricing/index.js';

const SEEN = 1_796_684_636_833n * 1_000_000n;

/** A record as Codex 0.169.0 exports it: no time of its own, only the observed time, every field an attribute. */
function record(attrs: Attrs, over: Partial<LogItem> = {}): LogItem {
  return { resource: { 'service.name': 'codex_exec', 'service.version': '0.169.0' }, scope: 'codex_otel.log_only', attrs, eventName: 'event otel/src/events/session_telemetry.rs:1153', timeNanos: 0n, observedNanos: SEEN, body: null, traceId: '', spanId: '', ...over };
}

const common = { 'event.timestamp': '2026-12-07T23:03:56.833Z', 'conversation.id': 'cx-conv-1', 'app.version': '0.169.0', originator: 'codex_exec', 'terminal.type': 'unknown', model: 'gpt-5', slug: 'gpt-5' };
// Counts arrive as text or as integers, as Codex 0.169.0 sends them.
const completed = { 'event.name': 'codex.sse_event', 'event.kind': 'response.completed', input_token_count: '1324', output_token_count: '40', cached_token_count: 1024, reasoning_token_count: 16, tool_token_count: '1364', ...common };

describe('codex.sse_event response.completed events', () => {
  it('is recognised only as the completed response that carries token counts', () => {
    expect(isCodexCompletion(record(completed))).toBe(true);
    expect(isCodexCompletion(record({ ...completed, 'event.name': null }, { body: 'codex.sse_event' }))).toBe(true);
    // The plain stream-event record Codex writes for the same completion, without counts.
    expect(isCodexCompletion(record({ 'event.name': 'codex.sse_event', 'event.kind': 'response.completed', duration_ms: '0', ...common }))).toBe(false);
    expect(isCodexCompletion(record({ ...completed, 'event.kind': 'response.output_text.delta' }))).toBe(false);
    expect(isCodexCompletion(record({ ...completed, 'event.name': 'codex.api_request' }))).toBe(false);
    expect(isCodexCompletion(record({ ...completed, 'event.name': 'codex.websocket_event' }))).toBe(false);
  });

  it('keeps OpenAI’s counts as they are (cached within input, reasoning within output), at the observed time, in its conversation', () => {
    const c = codexCall(record(completed));
    expect(c).toMatchObject({
      ts: Number(SEEN / 1_000_000n),
      api: 'openai.responses',
      provider: 'openai',
      model: 'gpt-5',
      usage: { inputTokens: 1324, cacheReadTokens: 1024, cacheWriteTokens: 0, outputTokens: 40, reasoningTokens: 16 },
      sessionId: 'cx-conv-1',
      client: 'codex',
      tags: { client_version: '0.169.0' },
      upstreamRequestId: null,
      source: 'codex-otel',
    });
  });

  it('attributes the call to the ChatGPT account and tags the auth mode; cached and reasoning counts never exceed their totals', () => {
    const c = codexCall(record({ ...completed, 'user.account_id': 'acct-7', auth_mode: 'chatgpt', input_token_count: 10, cached_token_count: 50, output_token_count: 3, reasoning_token_count: 9 }));
    expect(c).toMatchObject({ user: 'acct-7', tags: { client_version: '0.169.0', auth_mode: 'chatgpt' }, usage: { inputTokens: 10, cacheReadTokens: 10, outputTokens: 3, reasoningTokens: 3 } });
  });

  it('is priced by the catalog, cached input at its own price', () => {
    const c = codexCall(record(completed));
    if ('reject' in c) throw new Error('rejected');
    const price = createPricer();
    const sender = { keyId: null, user: null, team: null, project: null, tags: {} };
    const row = toLedgerRow(c, sender, price);
    const uncached = toLedgerRow({ ...c, usage: { ...c.usage, cacheReadTokens: 0 } }, sender, price);
    expect(row.costPicos).not.toBeNull();
    expect(row.costPicos! < uncached.costPicos!).toBe(true);
    expect(row.source).toBe('codex-otel');
  });

  it('the same record sent again has the same row id; another completion of the conversation another', () => {
    const a = codexCall(record(completed));
    const b = codexCall(record(completed));
    const later = codexCall(record(completed, { observedNanos: SEEN + 5_000_000_000n }));
    if ('reject' in a || 'reject' in b || 'reject' in later) throw new Error('rejected');
    expect(b.id).toBe(a.id);
    expect(later.id).not.toBe(a.id);
  });

  it('an event without a model is rejected; the other Codex events are ignored', () => {
    const items = [record({ ...completed, model: '' }), record({ 'event.name': 'codex.api_request', duration_ms: '134', ...common }), record(completed)];
    const m = mapItems({ signal: 'logs', items });
    expect(m.calls.map((c) => c.source)).toEqual(['codex-otel']);
    expect(m.rejected).toBe(1);
    expect(m.reasons).toEqual(['a codex.sse_event response.completed event has no model attribute']);
  });
});
