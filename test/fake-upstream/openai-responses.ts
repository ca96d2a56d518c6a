import { type Content, EMPTY_CONTENT, type Usage, cacheWrites, planContent, promptTotal, resolveUsage } from './content.js';
import { streamError } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { FIXED_CREATED, openaiToolNames } from './openai-chat.js';
import { addToConversation, conversationOf } from './openai-conversations.js';
import { type BuildInput, type Reply, isRecord, jsonReply, namedEvent, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

export function responsesUsage(u: Usage): Json {
  const details: Json = { cached_tokens: u.cacheRead };
  if (cacheWrites(u) > 0) {
    details.cache_write_tokens = cacheWrites(u);
    details.cache_write_tokens_details = { ttl_30m_tokens: u.cacheWrite5m, ttl_12h_tokens: u.cacheWrite1h };
  }
  const input = promptTotal(u);
  return {
    input_tokens: input,
    input_tokens_details: details,
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}

interface Items {
  reasoning: Json | undefined;
  message: Json | undefined;
  calls: Json[];
}

function items(c: Content, u: Usage): Items {
  const summary = c.thinking === undefined ? [] : [{ type: 'summary_text', text: c.thinking }];
  const reasoning = u.reasoning > 0 || c.thinking !== undefined ? { id: 'rs_fakeUpstream0001', type: 'reasoning', summary } : undefined;
  const hasText = c.text !== '' || c.toolCalls.length === 0;
  const message = hasText
    ? { id: 'msg_fakeUpstream0001', type: 'message', status: 'completed', content: [textPart(c.text)], role: 'assistant' }
    : undefined;
  const calls = c.toolCalls.map((t) => ({
    id: `fc_fakeUpstream${String(t.index).padStart(4, '0')}`,
    type: 'function_call',
    status: 'completed',
    arguments: t.argsJson,
    call_id: `call_fakeUpstream${String(t.index).padStart(6, '0')}`,
    name: t.name,
  }));
  return { reasoning, message, calls };
}

function textPart(text: string): Json {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function outputOf(i: Items): Json[] {
  return [i.reasoning, i.message, ...i.calls].filter((x): x is Json => x !== undefined);
}

type Shell = (status: string, output: Json[], u: Json | null) => Json;

/** The Response object around `output`, as the create call's body and the scenario describe it. */
function shellFor(body: Readonly<Json>, s: BuildInput['scenario']): Shell {
  return (status, output, u) => ({
    id: s.id ?? 'resp_fakeUpstream0001',
    object: 'response',
    created_at: s.created ?? FIXED_CREATED,
    status,
    background: body.background === true,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: s.model ?? str(body.model) ?? 'gpt-fake',
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: u,
    // Billed apart from `usage`: searches and images the scenario made, once the Response has its usage.
    ...(u !== null && (s.usage?.webSearches || s.usage?.imageGen) ? { tool_usage: toolUsage(s.usage) } : {}),
    user: null,
    metadata: body.metadata ?? {},
    // Named only when the request continues one (or the scenario says the Response made one).
    ...(s.conversation ?? conversationOf(body) ? { conversation: { id: s.conversation ?? conversationOf(body) } } : {}),
  });
}

/** A Response's `tool_usage` (protocols.md §1.7). */
function toolUsage(u: NonNullable<BuildInput['scenario']['usage']>): Json {
  const out: Json = {};
  if (u.webSearches) out.web_search = { num_requests: u.webSearches };
  const g = u.imageGen;
  if (g) {
    const input = g.textInput + g.imageInput;
    out.image_gen = {
      input_tokens: input,
      input_tokens_details: { image_tokens: g.imageInput, text_tokens: g.textInput },
      output_tokens: g.output,
      total_tokens: input + g.output,
      ...(g.cached === undefined ? {} : { cached_tokens: g.cached }),
    };
  }
  return out;
}

export function buildResponses(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const content = planContent(s, openaiToolNames(body));
  const usage = resolveUsage(s.usage, input.req.body.length, content);
  const its = items(content, usage);
  const shell = shellFor(body, s);
  const conversation = conversationOf(body);
  if (conversation !== undefined && body.background !== true) addToConversation(conversation, body.input, outputOf(its));
  // A background response is accepted at once and finishes later: no output and no usage yet.
  if (body.background === true && body.stream !== true) return jsonReply(jsonHeaders('openai'), pretty(shell('queued', [], null)));
  if (body.stream !== true) return jsonReply(jsonHeaders('openai'), pretty(shell('completed', outputOf(its), responsesUsage(usage))));
  const opts = isRecord(body.stream_options) ? body.stream_options : {};
  const pieces = responseEvents(its, content, shell, responsesUsage(usage), opts.include_obfuscation !== false);
  return { status: 200, headers: sseHeaders('openai'), pieces, stream: true, errorEvent: streamError('openai.responses', s.error) };
}

/**
 * `POST /responses/compact`: the input's user messages, then one compaction item, and a Response's
 * usage (OpenAI's `response.compaction`, members in the order of its API reference example).
 */
export function buildCompact(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const usage = resolveUsage(s.usage, input.req.body.length, planContent(s, []));
  const compaction = { id: 'cmp_fakeUpstream0001', type: 'compaction', encrypted_content: 'gAAAAABfakeUpstreamCompaction0001==' };
  return jsonReply(
    jsonHeaders('openai'),
    pretty({ id: s.id ?? 'resp_fakeUpstreamCompact01', object: 'response.compaction', output: [...userMessages(body.input), compaction], created_at: s.created ?? FIXED_CREATED, usage: responsesUsage(usage) }),
  );
}

function userMessages(input: unknown): Json[] {
  const items = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input.filter((i): i is Json => isRecord(i) && i.role === 'user') : [];
  return items.map((item, n) => ({
    id: `msg_fakeUpstreamInput${String(n + 1).padStart(2, '0')}`,
    type: 'message',
    status: 'completed',
    content: typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : item.content,
    role: 'user',
  }));
}

/** `POST /responses/input_tokens`: the prompt's size, scenario `usage.input` (cache reads and writes included) or body bytes / 4. */
export function buildInputTokens(input: BuildInput): Reply {
  const usage = resolveUsage(input.scenario.usage, input.req.body.length, EMPTY_CONTENT);
  return jsonReply(jsonHeaders('openai'), pretty({ object: 'response.input_tokens', input_tokens: promptTotal(usage) }));
}

const LOOKUP = /^\/responses\/([^/]+)(\/cancel|\/input_items)?$/;

/** The fake route of a call on a stored response (`/responses/{id}`…), or undefined. */
export function responseLookup(method: string, path: string): string | undefined {
  const m = LOOKUP.exec(path);
  if (m === null || m[1] === 'compact' || m[1] === 'input_tokens') return undefined;
  if (m[2] === undefined) return method === 'GET' ? 'openai.responses.retrieve' : method === 'DELETE' ? 'openai.responses.delete' : undefined;
  if (m[2] === '/cancel') return method === 'POST' ? 'openai.responses.cancel' : undefined;
  return method === 'GET' ? 'openai.responses.input_items' : undefined;
}

/**
 * A stored response, as a background one looks once it has finished (retrieve, with `?stream=true`
 * its events again); cancelled; deleted; or its input items. The scenario's `usage` is the response's.
 */
export function buildResponseLookup(input: BuildInput): Reply {
  const { req, scenario: s } = input;
  const m = LOOKUP.exec(req.path.startsWith('/v1/') ? req.path.slice(3) : req.path)!;
  const id = decodeURIComponent(m[1]!);
  const sc = { ...s, id };
  const shell = shellFor({ background: true }, sc);
  const content = planContent(s, []);
  const usage = resolveUsage(s.usage, 0, content);
  const its = items(content, usage);
  if (req.method === 'DELETE') return jsonReply(jsonHeaders('openai'), pretty({ id, object: 'response', deleted: true }));
  if (m[2] === '/cancel') return jsonReply(jsonHeaders('openai'), pretty(shell('cancelled', [], null)));
  if (m[2] === '/input_items') {
    const item = { id: 'msg_fakeUpstreamInput01', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'hello' }] };
    return jsonReply(jsonHeaders('openai'), pretty({ object: 'list', data: [item], first_id: item.id, last_id: item.id, has_more: false }));
  }
  if (req.query.stream !== 'true') return jsonReply(jsonHeaders('openai'), pretty(shell('completed', outputOf(its), responsesUsage(usage))));
  const pieces = responseEvents(its, content, shell, responsesUsage(usage), true);
  return { status: 200, headers: sseHeaders('openai'), pieces, stream: true, errorEvent: streamError('openai.responses', s.error) };
}

/** The event sequence of a Responses stream: lifecycle, one item at a time, then completed. */
function responseEvents(its: Items, c: Content, shell: Shell, usage: Json, obfuscate: boolean): Buffer[] {
  const out: Buffer[] = [];
  const ev = (type: string, rest: Json) => out.push(namedEvent(type, JSON.stringify({ type, sequence_number: out.length, ...rest })));
  const obf = (): Json => (obfuscate ? { obfuscation: 'Ab3xQ9'.slice(0, 1 + (out.length % 6)) } : {});
  ev('response.created', { response: shell('in_progress', [], null) });
  ev('response.in_progress', { response: shell('in_progress', [], null) });
  let index = 0;
  if (its.reasoning !== undefined) {
    ev('response.output_item.added', { output_index: index, item: { ...its.reasoning, summary: [] } });
    ev('response.output_item.done', { output_index: index++, item: its.reasoning });
  }
  if (its.message !== undefined) {
    const item_id = its.message.id;
    const at = { item_id, output_index: index, content_index: 0 };
    ev('response.output_item.added', { output_index: index, item: { ...its.message, status: 'in_progress', content: [] } });
    ev('response.content_part.added', { ...at, part: textPart('') });
    for (const delta of c.textPieces) ev('response.output_text.delta', { ...at, delta, logprobs: [], ...obf() });
    ev('response.output_text.done', { ...at, text: c.text, logprobs: [] });
    ev('response.content_part.done', { ...at, part: textPart(c.text) });
    ev('response.output_item.done', { output_index: index++, item: its.message });
  }
  c.toolCalls.forEach((t, i) => {
    const call = its.calls[i]!;
    const at = { item_id: call.id, output_index: index };
    ev('response.output_item.added', { output_index: index, item: { ...call, status: 'in_progress', arguments: '' } });
    for (const delta of t.argPieces) ev('response.function_call_arguments.delta', { ...at, delta, ...obf() });
    ev('response.function_call_arguments.done', { ...at, arguments: t.argsJson });
    ev('response.output_item.done', { output_index: index++, item: call });
  });
  ev('response.completed', { response: shell('completed', outputOf(its), usage) });
  return out;
}
