import { asObject } from '../shared/json.js';
import { choiceCount, optionalCount, requireModel, requireObject, streamFlag } from '../shared/request.js';
import type { RequestInfo, RouteMatch } from '../types.js';

/**
 * A Chat Completions request whose body is a Responses API request: `input` and no
 * `messages`. Cursor's agent sends these to `/v1/chat/completions` when its OpenAI base URL
 * is overridden (a bug on its side, open through 2026), and reads the answer as chat chunks.
 * A real chat request always has `messages`, so the shape is unambiguous.
 */
export function isResponsesShapedChat(body: unknown): boolean {
  const b = asObject(body);
  return b !== undefined && b.messages === undefined && b.input !== undefined;
}

/** The Responses API refuses a smaller `max_output_tokens` (400 `integer_below_min_value`). */
export const RESPONSES_MIN_OUTPUT_TOKENS = 16;

const NO_MODEL: ReadonlySet<RouteMatch['api']> = new Set<RouteMatch['api']>(['openai.chat_lookup', 'openai.batches', 'openai.conversations', 'openai.conversation_items', 'openai.vector_stores', 'openai.vector_store_files', 'openai.containers', 'openai.container_files', 'openai.skills', 'openai.skill_versions']);

export function inspectOpenaiRequest(route: RouteMatch, body: unknown): RequestInfo {
  // A batch's requests name their own models (in its input file); the batch itself has none, nor has a stored chat completion's update, a conversation, a vector store, a container or a skill.
  if (route.noBody || NO_MODEL.has(route.api)) return { model: '', stream: false };
  const obj = requireObject(body, route.api);
  // Images: the model is optional (OpenAI picks dall-e-2 then), and a stream is asked for as elsewhere.
  if (route.api === 'openai.images') return { model: typeof obj.model === 'string' ? obj.model : '', stream: streamFlag(obj, route.api) };
  // Speech: a stream is `stream_format: "sse"`; otherwise the audio comes back as bytes.
  if (route.api === 'openai.audio') return { model: requireModel(obj, route.api), stream: obj.stream_format === 'sse' };
  // Counting and moderation need no model (the SDK sends none by default): one given is the row's.
  if (route.api === 'openai.input_tokens' || route.api === 'openai.moderations') return { model: typeof obj.model === 'string' ? obj.model : '', stream: false };
  const info: RequestInfo = { model: requireModel(obj, route.api), stream: streamFlag(obj, route.api) };
  const cap =
    route.api === 'openai.chat'
      ? (optionalCount(obj.max_completion_tokens) ?? optionalCount(obj.max_tokens) ?? (isResponsesShapedChat(obj) ? optionalCount(obj.max_output_tokens) : undefined))
      : route.api === 'openai.completions'
        ? optionalCount(obj.max_tokens)
      : route.api === 'openai.responses'
        ? optionalCount(obj.max_output_tokens)
        : undefined;
  if (cap !== undefined) info.maxOutputTokens = cap;
  if (route.api === 'openai.responses' || (route.api === 'openai.chat' && isResponsesShapedChat(obj))) info.minOutputTokens = RESPONSES_MIN_OUTPUT_TOKENS;
  // Every choice is billed; a text completion's best_of are all generated (and billed), n of them returned.
  const choices = route.api === 'openai.chat' ? choiceCount(obj.n) : route.api === 'openai.completions' ? choiceCount(obj.n, obj.best_of) : 1;
  if (choices > 1) info.choices = choices;
  if (info.stream && (route.api === 'openai.chat' || route.api === 'openai.completions') && Object.hasOwn(obj, 'stream_options')) {
    info.streamOptions = { includeUsage: asObject(obj.stream_options)?.include_usage === true };
  }
  // A compaction's answer names no tier: the one asked for is what is billed (auto and default bill as default).
  if (route.api === 'openai.compact' && (obj.service_tier === 'flex' || obj.service_tier === 'priority')) info.serviceTier = obj.service_tier;
  return info;
}

/** An image edit or variation, a transcription or translation: a form whose text fields name the model and ask for a stream. */
export function inspectOpenaiForm(_route: RouteMatch, fields: ReadonlyMap<string, string>): RequestInfo {
  return { model: fields.get('model') ?? '', stream: fields.get('stream') === 'true' };
}
