import { type Content, EMPTY_CONTENT, type Usage, cacheWrites, planContent, promptTotal, resolveUsage } from './content.js';
import { refusedSetting } from './anthropic-models.js';
import { errorReply, streamError } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, isRecord, jsonReply, namedEvent, str } from './reply.js';
import type { UsageSpec } from './types.js';

type Json = Record<string, unknown>;

const SIGNATURE = 'EqQBCgIYAhIMfakeUpstreamSignatureGgx';
/** Anthropic's own ping spells its JSON with a space. */
const PING = namedEvent('ping', '{"type": "ping"}');
const STOP = namedEvent('message_stop', '{"type":"message_stop"}');

function toolNames(body: Readonly<Json>): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return tools.flatMap((t) => (isRecord(t) && typeof t.name === 'string' ? [t.name] : []));
}

function toolUseId(i: number): string {
  return `toolu_01FakeUpstream${String(i).padStart(6, '0')}`;
}

/** The usage in `message_start` and in a non-streamed Message. */
function messageUsage(u: Usage, output: number, modifiers?: Json): Json {
  const usage: Json = {
    input_tokens: u.input,
    cache_creation_input_tokens: cacheWrites(u),
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5m, ephemeral_1h_input_tokens: u.cacheWrite1h },
    output_tokens: output,
  };
  if (u.reasoning > 0 && output === u.output) usage.output_tokens_details = { thinking_tokens: u.reasoning };
  if (u.webSearches > 0 && output === u.output) usage.server_tool_use = serverToolUse(u);
  usage.service_tier = 'standard';
  if (modifiers) Object.assign(usage, modifiers);
  return usage;
}

/** `message_delta` totals are cumulative and carry no TTL split. */
function deltaUsage(u: Usage): Json {
  const usage: Json = {
    input_tokens: u.input,
    cache_creation_input_tokens: cacheWrites(u),
    cache_read_input_tokens: u.cacheRead,
    output_tokens: u.output,
  };
  if (u.reasoning > 0) usage.output_tokens_details = { thinking_tokens: u.reasoning };
  if (u.webSearches > 0) usage.server_tool_use = serverToolUse(u);
  return usage;
}

const serverToolUse = (u: Usage): Json => ({ web_search_requests: u.webSearches, web_fetch_requests: 0 });

/** A scenario's `speed` and `inference_geo`, as Anthropic reports them in the usage (message_start's, in a stream). */
function modifiersOf(spec: UsageSpec | undefined): Json | undefined {
  if (spec?.speed === undefined && spec?.inferenceGeo === undefined) return undefined;
  return { speed: spec.speed ?? 'standard', inference_geo: spec.inferenceGeo ?? null };
}

function blocks(c: Content): Json[] {
  const out: Json[] = [];
  if (c.thinking !== undefined) out.push({ type: 'thinking', thinking: c.thinking, signature: SIGNATURE });
  if (c.text !== '') out.push({ type: 'text', text: c.text });
  for (const t of c.toolCalls) out.push({ type: 'tool_use', id: toolUseId(t.index), name: t.name, input: t.args });
  return out;
}

export function buildMessages(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const refused = refusedSetting(body);
  if (refused !== undefined) return errorReply('anthropic', 400, { type: 'invalid_request_error', message: refused }, input.requestId);
  const content = planContent(s, toolNames(body));
  const base = resolveUsage(s.usage, input.req.body.length, content);
  const usage = s.promptCache && input.promptCache ? { ...base, ...input.promptCache.usage(body, s.promptCache.minTokens ?? 1024) } : base;
  const head = {
    id: s.id ?? 'msg_01FakeUpstream0000000001',
    type: 'message',
    role: 'assistant',
    model: s.model ?? str(body.model) ?? 'claude-fake',
  };
  const stopReason = s.stopReason ?? (content.toolCalls.length > 0 ? 'tool_use' : 'end_turn');
  if (body.stream !== true) {
    const message = { ...head, content: blocks(content), stop_reason: stopReason, stop_sequence: null, usage: messageUsage(usage, usage.output, modifiersOf(s.usage)) };
    return jsonReply(jsonHeaders('anthropic'), JSON.stringify(message));
  }
  const start = { ...head, content: [], stop_reason: null, stop_sequence: null, usage: messageUsage(usage, Math.min(1, usage.output), modifiersOf(s.usage)) };
  const pieces = messageEvents(start, content, stopReason, usage);
  return { status: 200, headers: sseHeaders('anthropic'), pieces, stream: true, errorEvent: streamError('anthropic', s.error) };
}

function messageEvents(start: Json, c: Content, stopReason: string, u: Usage): Buffer[] {
  const out: Buffer[] = [];
  const ev = (type: string, rest: Json) => out.push(namedEvent(type, JSON.stringify({ type, ...rest })));
  ev('message_start', { message: start });
  out.push(PING);
  let index = 0;
  const block = (startBlock: Json, deltas: readonly Json[]) => {
    ev('content_block_start', { index, content_block: startBlock });
    for (const delta of deltas) ev('content_block_delta', { index, delta });
    ev('content_block_stop', { index: index++ });
  };
  if (c.thinking !== undefined) {
    const deltas: Json[] = c.thinkingPieces.map((thinking) => ({ type: 'thinking_delta', thinking }));
    block({ type: 'thinking', thinking: '', signature: '' }, [...deltas, { type: 'signature_delta', signature: SIGNATURE }]);
  }
  if (c.text !== '') block({ type: 'text', text: '' }, c.textPieces.map((text) => ({ type: 'text_delta', text })));
  for (const t of c.toolCalls) {
    const deltas = t.argPieces.map((partial_json) => ({ type: 'input_json_delta', partial_json }));
    block({ type: 'tool_use', id: toolUseId(t.index), name: t.name, input: {} }, deltas);
  }
  ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: deltaUsage(u) });
  out.push(STOP);
  return out;
}

export function buildCountTokens(input: BuildInput): Reply {
  const usage = resolveUsage(input.scenario.usage, input.req.body.length, EMPTY_CONTENT);
  return jsonReply(jsonHeaders('anthropic'), JSON.stringify({ input_tokens: promptTotal(usage) }));
}
