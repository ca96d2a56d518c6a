import { zeroUsage } from '../core/usage.js';
import { count, firstText, nanosToMs, stableRowId, tagsFrom } from './attributes.js';
import { PROJECT_KEYS, TEAM_KEYS } from './claude-code-events.js';
import type { Attrs, LogItem } from './otlp-model.js';
import { STREAMED_OK, type TelemetryCall } from './telemetry-row.js';

const EVENT = 'codex.sse_event';
const COMPLETED = 'response.completed';

const INPUT = ['input_token_count'];
const OUTPUT = ['output_token_count'];

/** Attribute → tag; the first attribute present wins. Documented in docs/telemetry.md. */
const TAGS = {
  // CLIENT_VERSION_TAG: Codex's own version, as the gateway and the rollout import record it.
  client_version: ['app.version'],
  auth_mode: ['auth_mode'],
} as const;

export const CODEX_USER_KEYS = ['tollgate.user', 'user.account_id'] as const;

/**
 * Whether a log record is Codex's `codex.sse_event` for a completed response that carries its
 * token counts. Codex 0.169 logs each completed response twice under that name: once as a plain
 * stream event without counts, once with them; only the second is the call's usage.
 */
export function isCodexCompletion(item: LogItem): boolean {
  const a = item.attrs;
  if (a['event.name'] !== EVENT && item.eventName !== EVENT && item.body !== EVENT) return false;
  if (a['event.kind'] !== COMPLETED) return false;
  return count(a, INPUT) !== undefined || count(a, OUTPUT) !== undefined;
}

/**
 * One ledger call from one completed-response `codex.sse_event`, or a reason to reject it.
 * Codex reports OpenAI's usage: cached tokens are part of the input and reasoning tokens part
 * of the output, which is the ledger's own convention.
 */
export function codexCall(item: LogItem): TelemetryCall | { reject: string } {
  const a = item.attrs;
  const sets: Attrs[] = [a, item.resource];
  const model = firstText([a], ['model']);
  if (model === null) return { reject: 'a codex.sse_event response.completed event has no model attribute' };
  const usage = zeroUsage();
  usage.inputTokens = count(a, INPUT) ?? 0;
  usage.cacheReadTokens = Math.min(count(a, ['cached_token_count']) ?? 0, usage.inputTokens);
  usage.outputTokens = count(a, OUTPUT) ?? 0;
  usage.reasoningTokens = Math.min(count(a, ['reasoning_token_count']) ?? 0, usage.outputTokens);
  // Codex sets only the observed time on its records; the event says when the response completed.
  const ts = nanosToMs(item.timeNanos) ?? nanosToMs(item.observedNanos) ?? Date.now();
  const sessionId = firstText(sets, ['conversation.id']);
  const counts = `${usage.inputTokens}|${usage.cacheReadTokens}|${usage.outputTokens}|${usage.reasoningTokens}`;
  return {
    // The event names no request or response id: its session, times, model and counts identify it.
    id: stableRowId(ts, `codex-otel|${sessionId ?? ''}|${item.timeNanos}|${item.observedNanos}|${model}|${counts}`),
    ts,
    api: 'openai.responses',
    provider: 'openai',
    catalogProvider: 'openai',
    model,
    modelRequested: model,
    usage,
    user: firstText(sets, CODEX_USER_KEYS),
    team: firstText(sets, TEAM_KEYS),
    project: firstText(sets, PROJECT_KEYS),
    sessionId,
    client: 'codex',
    tags: tagsFrom(sets, TAGS),
    ...STREAMED_OK,
    // The event carries no duration of the call.
    latencyMs: 0,
    ttftMs: null,
    upstreamRequestId: null,
    attempts: 1,
    source: 'codex-otel',
  };
}
