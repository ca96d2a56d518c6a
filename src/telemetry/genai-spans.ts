import type { Api } from '../core/api.js';
import { zeroUsage } from '../core/usage.js';
import { MAX_CALL_MS, count, firstText, nanosToMs, stableRowId, tagsFrom, upTo } from './attributes.js';
import { PROJECT_KEYS, TEAM_KEYS } from './claude-code-events.js';
import { type ProviderInfo, genAiProvider } from './genai-providers.js';
import type { Attrs, SpanItem } from './otlp-model.js';
import type { TelemetryCall } from './telemetry-row.js';

/** Current names first, then the deprecated and OpenLLMetry (`llm.usage.*`) ones. */
const INPUT = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens'];
const OUTPUT = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.usage.completion_tokens'];
const CACHE_READ = ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.usage.cache_read_input_tokens'];
const CACHE_WRITE = ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'llm.usage.cache_creation_input_tokens'];
const REASONING = ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'llm.usage.reasoning_tokens'];

/**
 * Operations that are one model call. Agent, workflow and tool spans may carry the summed
 * usage of the calls under them, which would count those calls twice, so they are skipped.
 */
const CALL_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings', 'completion']);

/**
 * The span's operation, in the conventions' names: OpenLLMetry's `llm.request.type` calls an
 * embeddings call `embedding`, which was taken for an operation that is no model call.
 */
function operationOf(a: Attrs): string | null {
  const op = firstText([a], ['gen_ai.operation.name', 'llm.request.type']);
  return op === 'embedding' ? 'embeddings' : op;
}

/** Whether a span is one model call with token usage (and not Claude Code's, whose usage arrives as events). */
export function isGenAiCall(s: SpanItem): boolean {
  const op = operationOf(s.attrs);
  if (op !== null && !CALL_OPERATIONS.has(op)) return false;
  if (s.scope.startsWith('com.anthropic.claude_code') || s.resource['service.name'] === 'claude-code') return false;
  return count(s.attrs, INPUT) !== undefined || count(s.attrs, OUTPUT) !== undefined;
}

function apiOf(dialect: ProviderInfo['dialect'], op: string | null): Api {
  if (op === 'embeddings') return 'openai.embeddings';
  if (op === 'text_completion' && dialect === 'openai') return 'openai.completions';
  if (dialect === 'anthropic') return 'anthropic.messages';
  if (dialect === 'gemini') return 'gemini.generate';
  return 'openai.chat';
}

const TAGS = {
  workflow: ['tollgate.workflow', 'workflow.name', 'gen_ai.workflow.name', 'traceloop.workflow.name'],
  agent: ['gen_ai.agent.name'],
  operation: ['gen_ai.operation.name', 'llm.request.type'],
  // CLIENT_VERSION_TAG: the instrumented application's version (its name is the row's client).
  client_version: ['service.version'],
} as const;

/**
 * One ledger call from one GenAI span. `gen_ai.usage.input_tokens` includes cached tokens
 * by the conventions; an instrumentation that reports less input than its own cache counts
 * evidently left them out (Anthropic's own field), and they are added back.
 */
export function genAiCall(s: SpanItem): TelemetryCall | { reject: string } {
  const a = s.attrs;
  const sets: Attrs[] = [a, s.resource];
  const requested = firstText([a], ['gen_ai.request.model', 'llm.request.model']);
  const served = firstText([a], ['gen_ai.response.model', 'llm.response.model']);
  const model = served ?? requested;
  if (model === null) return { reject: `span ${s.spanId || s.name} has token usage but no gen_ai.request.model or gen_ai.response.model` };
  const providerName = (firstText(sets, ['gen_ai.provider.name', 'gen_ai.system']) ?? '').toLowerCase();
  const provider = genAiProvider(providerName);
  const op = operationOf(a);
  const usage = zeroUsage();
  usage.cacheReadTokens = count(a, CACHE_READ) ?? 0;
  usage.cacheWriteTokens = count(a, CACHE_WRITE) ?? 0;
  const input = count(a, INPUT) ?? 0;
  const cached = usage.cacheReadTokens + usage.cacheWriteTokens;
  usage.inputTokens = input < cached ? input + cached : input;
  usage.outputTokens = count(a, OUTPUT) ?? 0;
  usage.reasoningTokens = Math.min(usage.outputTokens, count(a, REASONING) ?? 0);
  const start = nanosToMs(s.startNanos) ?? nanosToMs(s.endNanos) ?? Date.now();
  const end = nanosToMs(s.endNanos) ?? start;
  const failed = s.statusCode === 2 || firstText([a], ['error.type']) !== null;
  const ttft = upTo(a['gen_ai.response.time_to_first_chunk'], MAX_CALL_MS / 1000);
  const service = firstText([s.resource], ['service.name']);
  return {
    id: stableRowId(start, `otel-genai|${s.traceId}|${s.spanId}`),
    ts: start,
    api: apiOf(provider.dialect, op),
    provider: providerName,
    catalogProvider: provider.catalog,
    model,
    modelRequested: requested ?? model,
    usage,
    user: firstText(sets, ['tollgate.user', 'user.email', 'enduser.id', 'user.id']),
    team: firstText(sets, TEAM_KEYS),
    project: firstText(sets, PROJECT_KEYS),
    sessionId: firstText(sets, ['gen_ai.conversation.id', 'session.id']),
    // The instrumented application: the SDK's placeholder name says nothing.
    client: service !== null && !service.startsWith('unknown_service') ? service : null,
    tags: tagsFrom(sets, TAGS),
    stream: a['gen_ai.request.stream'] === true || a['llm.is_streaming'] === true,
    status: Math.floor(upTo(a['http.response.status_code'], 999) ?? (failed ? 0 : 200)),
    outcome: failed ? 'upstream_error' : 'ok',
    errorType: failed ? (firstText([a], ['error.type']) ?? (s.statusMessage || 'error')) : null,
    latencyMs: Math.max(0, end - start),
    ttftMs: ttft === undefined ? null : Math.round(ttft * 1000),
    upstreamRequestId: firstText([a], ['request_id', 'http.response.header.request-id', 'http.response.header.x-request-id']),
    // The body's id, not the provider's request id: it matches the gateway's row of the same call.
    responseId: firstText([a], ['gen_ai.response.id']),
    attempts: 1,
    serviceTier: firstText([a], ['openai.response.service_tier']) ?? undefined,
    source: 'otel-genai',
  };
}
