import { parseInstant } from '../core/instant.js';
import { zeroUsage } from '../core/usage.js';
import { withoutContextLabel } from '../pricing/model-id.js';
import { MAX_CALL_MS, count, firstText, nanosToMs, requestRowId, saneTime, stableRowId, tagsFrom, upTo } from './attributes.js';
import type { Attrs, LogItem } from './otlp-model.js';
import { STREAMED_OK, type TelemetryCall } from './telemetry-row.js';

const EVENT = 'claude_code.api_request';

/** Whether a log record is Claude Code's `api_request` event (body, event name or `event.name` attribute). */
export function isApiRequest(item: LogItem): boolean {
  if (item.eventName === EVENT || item.body === EVENT) return true;
  const name = item.attrs['event.name'];
  return name === EVENT || (name === 'api_request' && (item.scope.startsWith('com.anthropic.claude_code') || item.resource['service.name'] === 'claude-code'));
}

/** Attribute → tag; the first attribute present wins. Documented in docs/telemetry.md. */
const TAGS = {
  workflow: ['workflow.name'],
  // CLIENT_VERSION_TAG: Claude Code's own version, as the gateway and the log import record it.
  client_version: ['app.version', 'service.version'],
  workflow_run: ['workflow.run_id'],
  prompt_id: ['prompt.id'],
  query_source: ['query_source'],
  organization: ['organization.id'],
  agent: ['agent.name'],
  speed: ['speed'],
  effort: ['effort'],
  department: ['department'],
  cost_center: ['cost_center'],
} as const;

/** Far more tries than any client makes of one call. */
const MAX_ATTEMPTS = 1000;

export const USER_KEYS = ['tollgate.user', 'user.email', 'user.account_uuid'] as const;
export const TEAM_KEYS = ['tollgate.team', 'team.id', 'team'] as const;
export const PROJECT_KEYS = ['tollgate.project', 'project.id', 'project'] as const;

/**
 * One ledger call from one `claude_code.api_request` event, or a reason to reject it.
 * Claude Code reports Anthropic's token fields: `input_tokens` is the uncached part only,
 * so the ledger's input (every prompt token) adds the cache reads and writes to it.
 */
export function claudeCodeCall(item: LogItem): TelemetryCall | { reject: string } {
  const a = item.attrs;
  const sets: Attrs[] = [a, item.resource];
  const model = firstText([a], ['model']);
  if (model === null) return { reject: 'a claude_code.api_request event has no model attribute' };
  const usage = zeroUsage();
  usage.cacheReadTokens = count(a, ['cache_read_tokens']) ?? 0;
  usage.cacheWriteTokens = count(a, ['cache_creation_tokens']) ?? 0;
  usage.inputTokens = (count(a, ['input_tokens']) ?? 0) + usage.cacheReadTokens + usage.cacheWriteTokens;
  usage.outputTokens = count(a, ['output_tokens']) ?? 0;
  // Fast mode bills a premium (pricing.md): the event says so as the transcript's usage does.
  if (firstText([a], ['speed']) === 'fast') usage.speed = 'fast';
  const duration = Math.round(upTo(a.duration_ms, MAX_CALL_MS) ?? 0);
  // When the event happened (OTLP's Timestamp, else the time Claude Code wrote into it) before when a
  // collector saw it (ObservedTimestamp), which a pipeline that buffers or replays puts later.
  const ended = nanosToMs(item.timeNanos) ?? eventTime(a['event.timestamp']) ?? nanosToMs(item.observedNanos) ?? Date.now();
  const requestId = firstText([a], ['request_id']);
  const sessionId = firstText(sets, ['session.id']);
  const ts = ended - duration;
  const ttft = upTo(a.ttft_ms, MAX_CALL_MS);
  return {
    // The provider's request id names the call, whatever the record's time; failing that, the event's place in its session.
    id:
      requestId !== null
        ? requestRowId(`claude-code-otel|${requestId}`)
        : stableRowId(ts, `claude-code-otel|${sessionId ?? ''}|${firstText([a], ['event.sequence']) ?? ''}|${item.timeNanos}|${model}`),
    ts,
    api: 'anthropic.messages',
    provider: 'anthropic',
    catalogProvider: 'anthropic',
    // Claude Code's `[1m]` label asks for the model with its 1M window: the model served is the model.
    model: withoutContextLabel(model),
    modelRequested: model,
    usage,
    user: firstText(sets, USER_KEYS),
    team: firstText(sets, TEAM_KEYS),
    project: firstText(sets, PROJECT_KEYS),
    sessionId,
    client: 'claude-code',
    tags: tagsFrom(sets, TAGS),
    // Claude Code streams its Messages API calls.
    ...STREAMED_OK,
    latencyMs: duration,
    ttftMs: ttft === undefined ? null : Math.round(ttft),
    upstreamRequestId: requestId,
    attempts: Math.max(1, Math.floor(upTo(a.attempt, MAX_ATTEMPTS) ?? 1)),
    source: 'claude-code-otel',
  };
}

/** An ISO 8601 `event.timestamp`, read as every time Tollgate reads (UTC without an offset, no 30 February); undefined when not believable. */
function eventTime(v: unknown): number | undefined {
  const ms = typeof v === 'string' ? parseInstant(v) : undefined;
  return ms === undefined ? undefined : saneTime(ms);
}
