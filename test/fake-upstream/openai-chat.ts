import { type Content, type Usage, cacheWrites, planContent, promptTotal, resolveUsage } from './content.js';
import { streamError } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, dataEvent, isRecord, jsonReply, pretty, str } from './reply.js';
import { storeChat, storedChatId } from './openai-stored-chat.js';

export const FIXED_CREATED = 1795000000;
const DONE = Buffer.from('data: [DONE]\n\n');
const OBFUSCATION = 'Qk3vPa9ZrLm0u2Tx';
const J = JSON.stringify;

/** Tool names the request offered, so that default tool calls use real names. */
export function openaiToolNames(body: Readonly<Record<string, unknown>>): string[] {
  const tools = Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
  return tools.flatMap((t) => {
    if (!isRecord(t)) return [];
    const fn = isRecord(t.function) ? t.function : isRecord(t.custom) ? t.custom : t;
    const name = str(fn.name);
    return name === undefined ? [] : [name];
  });
}

export function openaiUsage(u: Usage): Record<string, unknown> {
  const prompt = promptTotal(u);
  const promptDetails: Record<string, number> = { cached_tokens: u.cacheRead };
  if (cacheWrites(u) > 0) promptDetails.cache_write_tokens = cacheWrites(u);
  promptDetails.audio_tokens = u.audioInput + u.audioCacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: promptDetails,
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: u.audioOutput, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export function buildChat(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const content = planContent(s, openaiToolNames(body));
  const usage = resolveUsage(s.usage, input.req.body.length, content);
  // A completion to store (`store: true`) has an id of its own, and is kept to be read back (openai-stored-chat.ts).
  const stored = body.store === true;
  const meta: ChatMeta = {
    id: s.id ?? (stored ? storedChatId() : 'chatcmpl-fakeUpstream0001'),
    created: s.created ?? FIXED_CREATED,
    model: s.model ?? str(body.model) ?? 'gpt-fake',
    finish: s.stopReason ?? (content.toolCalls.length > 0 ? 'tool_calls' : 'stop'),
  };
  if (stored) storeChat(body, chatCompletion(meta, content, usage));
  if (body.stream !== true) return jsonReply(jsonHeaders('openai'), pretty(chatCompletion(meta, content, usage)));
  const opts = isRecord(body.stream_options) ? body.stream_options : {};
  const pieces = chatChunks(meta, content, usage, opts.include_usage === true, opts.include_obfuscation !== false);
  return { status: 200, headers: sseHeaders('openai'), pieces, stream: true, errorEvent: streamError('openai.chat', s.error) };
}

interface ChatMeta {
  id: string;
  created: number;
  model: string;
  finish: string;
}

function toolCallId(i: number): string {
  return `call_fakeUpstream${String(i).padStart(6, '0')}`;
}

function chatCompletion(m: ChatMeta, c: Content, u: Usage): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: c.text === '' && c.toolCalls.length > 0 ? null : c.text, refusal: null };
  // vLLM, llama.cpp, Ollama and DeepSeek return a reasoning model's thoughts beside the content.
  if (c.thinking !== undefined) message.reasoning_content = c.thinking;
  if (c.toolCalls.length > 0) {
    message.tool_calls = c.toolCalls.map((t) => ({ id: toolCallId(t.index), type: 'function', function: { name: t.name, arguments: t.argsJson } }));
  }
  message.annotations = [];
  return {
    id: m.id,
    object: 'chat.completion',
    created: m.created,
    model: m.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: m.finish }],
    usage: openaiUsage(u),
    service_tier: 'default',
    system_fingerprint: null,
  };
}

/**
 * Every chunk shares one prefix, so it is built once and only the delta is encoded per
 * chunk. With `include_usage` every chunk carries `"usage":null` and a last chunk with
 * `"choices":[]` carries the usage; without it no chunk has a usage key at all.
 */
function chatChunks(m: ChatMeta, c: Content, u: Usage, includeUsage: boolean, obfuscate: boolean): Buffer[] {
  const head = `{"id":${J(m.id)},"object":"chat.completion.chunk","created":${m.created},"model":${J(m.model)},"service_tier":"default","system_fingerprint":null,"choices":[`;
  const tail = includeUsage ? '],"usage":null' : ']';
  const out: Buffer[] = [];
  const pad = () => (obfuscate ? `,"obfuscation":"${OBFUSCATION.slice(0, 1 + ((out.length * 5) % OBFUSCATION.length))}"` : '');
  const push = (delta: string, finish: string | null = null) => {
    out.push(dataEvent(`${head}{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${J(finish)}}${tail}${pad()}}`));
  };
  push('{"role":"assistant","content":"","refusal":null}');
  for (const p of c.thinkingPieces) push(`{"reasoning_content":${J(p)}}`);
  for (const p of c.textPieces) push(`{"content":${J(p)}}`);
  for (const t of c.toolCalls) {
    const start = { index: t.index, id: toolCallId(t.index), type: 'function', function: { name: t.name, arguments: '' } };
    push(`{"tool_calls":[${J(start)}]}`);
    for (const a of t.argPieces) push(`{"tool_calls":[{"index":${t.index},"function":{"arguments":${J(a)}}}]}`);
  }
  push('{}', m.finish);
  if (includeUsage) out.push(dataEvent(`${head}],"usage":${J(openaiUsage(u))}${pad()}}`));
  out.push(DONE);
  return out;
}

/**
 * The legacy Completions API (`POST /v1/completions`), as OpenAI and local servers answer it:
 * a `text_completion` with `choices[].text`; streamed, one chunk per text piece, then a
 * usage-only chunk when `stream_options.include_usage` asks for it, then `[DONE]`.
 */
export function buildCompletions(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const content = planContent(s, []);
  const usage = resolveUsage(s.usage, input.req.body.length, content);
  const base = { id: s.id ?? 'cmpl-fakeUpstream0001', object: 'text_completion', created: s.created ?? FIXED_CREATED, model: s.model ?? str(body.model) ?? 'gpt-fake' };
  const finish = s.stopReason ?? 'stop';
  const { prompt_tokens, completion_tokens, total_tokens } = openaiUsage(usage) as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  const plainUsage = { prompt_tokens, completion_tokens, total_tokens };
  if (body.stream !== true) {
    return jsonReply(jsonHeaders('openai'), pretty({ ...base, choices: [{ text: content.text, index: 0, logprobs: null, finish_reason: finish }], usage: plainUsage }));
  }
  const pieces = content.textPieces.map((text, i) => dataEvent(J({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: i === content.textPieces.length - 1 ? finish : null }] })));
  if (isRecord(body.stream_options) && body.stream_options.include_usage === true) pieces.push(dataEvent(J({ ...base, choices: [], usage: plainUsage })));
  pieces.push(DONE);
  return { status: 200, headers: sseHeaders('openai'), pieces, stream: true, errorEvent: streamError('openai.chat', s.error) };
}
