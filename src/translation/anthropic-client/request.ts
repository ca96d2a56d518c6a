import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import { type Target, kind, refuse, refuseUnknown, str } from '../refuse.js';

/** Fields of a Messages request that are mapped, or safe to leave out (docs/translation.md lists why). */
const KNOWN = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'metadata',
  'stream',
  // Ignored: the upstream's defaults apply (see `ignoredHints`).
  'thinking',
  'output_config',
  'context_management',
  'cache_control',
  'service_tier',
  'speed',
]);

export interface ChatRequestOptions {
  /** OpenAI itself wants `max_completion_tokens`; compatible servers all read `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

/** Claude Code's attribution line (protocols.md §3.9): billing data for Anthropic, not an instruction. */
const BILLING_HEADER = /^x-anthropic-billing-header:[^\n]*(\n|$)/;

/**
 * An Anthropic Messages request as an OpenAI Chat Completions request. Throws the
 * `not_translatable` GatewayError for anything the chat API cannot express.
 */
export function toChatRequest(body: JsonObject, t: Target, o: ChatRequestOptions): JsonObject {
  refuseUnknown(body, KNOWN, t);
  ignoredHints(body, t);
  const out: JsonObject = { model: body.model };
  const messages: JsonObject[] = [];
  const system = systemText(body.system, t);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const m of asArray(body.messages) ?? []) messages.push(...chatMessages(asObject(m) ?? {}, t));
  out.messages = messages;
  if (typeof body.max_tokens === 'number') {
    if (body.max_tokens === 0) throw refuse('`max_tokens: 0` (cache pre-warming)', 'there is no prompt cache to warm', t);
    out[o.maxTokensField] = body.max_tokens;
  }
  for (const k of ['temperature', 'top_p', 'top_k'] as const) if (body[k] !== undefined) out[k] = body[k];
  const stops = asArray(body.stop_sequences);
  if (stops !== undefined && stops.length > 0) out.stop = stops;
  const user = asText(asObject(body.metadata)?.user_id);
  if (user !== undefined) out.user = user;
  const tools = asArray(body.tools);
  if (tools !== undefined && tools.length > 0) out.tools = tools.map((x) => chatTool(asObject(x) ?? {}, t));
  Object.assign(out, toolChoice(asObject(body.tool_choice), t));
  const format = asObject(asObject(body.output_config)?.format);
  if (format !== undefined) out.response_format = responseFormat(format, t);
  if (body.stream === true) {
    out.stream = true;
    // Always: metering needs the upstream's own count.
    out.stream_options = { include_usage: true };
  }
  return out;
}

/** Hints with no portable equivalent are left to the upstream; the rest of these objects must be empty. */
function ignoredHints(body: JsonObject, t: Target): void {
  const cm = asObject(body.context_management);
  for (const e of asArray(cm?.edits) ?? []) {
    const type = asText(asObject(e)?.type) ?? '';
    // Thinking never goes upstream, so clearing it is what already happens.
    if (!type.startsWith('clear_thinking')) throw refuse(`Context editing \`${type}\``, 'the upstream keeps every message it is sent', t);
  }
  if (body.speed !== undefined && body.speed !== 'standard') throw refuse('`speed: fast`', 'fast mode is an Anthropic service', t);
  const oc = asObject(body.output_config);
  if (oc !== undefined) refuseUnknown(oc, new Set(['effort', 'format']), t);
}

function systemText(system: unknown, t: Target): string {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system.replace(BILLING_HEADER, '');
  const parts: string[] = [];
  for (const b of asArray(system) ?? []) {
    const block = asObject(b) ?? {};
    if (block.type !== 'text') throw refuse(`A ${kind(block.type)} block in \`system\``, 'the system prompt can only be text', t);
    noCitations(block, t);
    const text = str(block.text).replace(BILLING_HEADER, '');
    if (text !== '') parts.push(text);
  }
  return parts.join('\n\n');
}

function chatMessages(m: JsonObject, t: Target): JsonObject[] {
  const role = m.role;
  if (role === 'system') return [{ role: 'system', content: typeof m.content === 'string' ? m.content : texts(m.content, t) }];
  if (typeof m.content === 'string') return [{ role, content: m.content }];
  const blocks = (asArray(m.content) ?? []).map((b) => asObject(b) ?? {});
  if (role === 'assistant') return [assistantMessage(blocks, t)];
  if (role !== 'user') throw refuse(`A message with role \`${str(role)}\``, 'only user, assistant and system turns exist', t);
  return userMessages(blocks, t);
}

function assistantMessage(blocks: JsonObject[], t: Target): JsonObject {
  const text: string[] = [];
  const calls: JsonObject[] = [];
  for (const b of blocks) {
    switch (b.type) {
      case 'text':
        text.push(str(b.text));
        break;
      case 'tool_use':
        calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
        break;
      case 'thinking':
      case 'redacted_thinking':
        // Reasoning cannot be sent back to a chat API; chat templates drop it from history anyway.
        break;
      default:
        throw refuse(`An assistant ${kind(b.type)} block`, 'only text and tool calls can be replayed to the chat API', t);
    }
  }
  const out: JsonObject = { role: 'assistant', content: text.length === 0 ? null : text.join('\n\n') };
  if (calls.length > 0) out.tool_calls = calls;
  else if (out.content === null) out.content = '';
  return out;
}

/**
 * Tool results become `tool` messages, which must directly follow the assistant's calls;
 * the rest of the user turn (and any image a tool returned, which tool messages cannot
 * carry) follows them as one user message.
 */
function userMessages(blocks: JsonObject[], t: Target): JsonObject[] {
  const tools: JsonObject[] = [];
  const parts: JsonObject[] = [];
  for (const b of blocks) {
    if (b.type === 'tool_result') {
      const { text, images } = toolResult(b, t);
      tools.push({ role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error === true ? `Error: ${text}` : text });
      parts.push(...images);
    } else parts.push(userPart(b, t));
  }
  if (parts.length === 0) return tools;
  const onlyText = parts.every((p) => p.type === 'text');
  const content = onlyText ? parts.map((p) => str(p.text)).join('\n\n') : parts;
  return [...tools, { role: 'user', content }];
}

function userPart(b: JsonObject, t: Target): JsonObject {
  switch (b.type) {
    case 'text':
      noCitations(b, t);
      return { type: 'text', text: str(b.text) };
    case 'image':
      return { type: 'image_url', image_url: { url: imageUrl(asObject(b.source) ?? {}, t) } };
    case 'document':
      throw refuse('A `document` block (PDF or text document)', 'chat APIs take no documents', t);
    case 'search_result':
      throw refuse('A `search_result` block', 'chat APIs have no search results with citations', t);
    default:
      throw refuse(`A ${kind(b.type)} content block`, 'it has no chat equivalent', t);
  }
}

function imageUrl(source: JsonObject, t: Target): string {
  if (source.type === 'base64') return `data:${str(source.media_type)};base64,${str(source.data)}`;
  if (source.type === 'url') return str(source.url);
  throw refuse(`An image from a ${kind(source.type)} source (Files API)`, 'only base64 and URL images can be sent', t);
}

function toolResult(b: JsonObject, t: Target): { text: string; images: JsonObject[] } {
  if (typeof b.content === 'string' || b.content === undefined) return { text: (b.content) ?? '', images: [] };
  const text: string[] = [];
  const images: JsonObject[] = [];
  for (const x of asArray(b.content) ?? []) {
    const part = asObject(x) ?? {};
    if (part.type === 'text') text.push(str(part.text));
    else if (part.type === 'image') images.push(userPart(part, t));
    else throw refuse(`A ${kind(part.type)} block inside a tool result`, 'tool results can carry text and images only', t);
  }
  return { text: text.join('\n\n'), images };
}

function texts(content: unknown, t: Target): string {
  return (asArray(content) ?? [])
    .map((x) => {
      const b = asObject(x) ?? {};
      if (b.type !== 'text') throw refuse(`A ${kind(b.type)} block in a system message`, 'system messages can only be text', t);
      return str(b.text);
    })
    .join('\n\n');
}

function noCitations(b: JsonObject, t: Target): void {
  if ((asArray(b.citations)?.length ?? 0) > 0) throw refuse('Text with `citations`', 'chat APIs have no citations', t);
}

function chatTool(tool: JsonObject, t: Target): JsonObject {
  if (tool.type !== undefined && tool.type !== 'custom') {
    throw refuse(`The Anthropic-defined tool ${kind(tool.type)}`, 'server and built-in tools run at Anthropic only', t);
  }
  refuseUnknown(tool, new Set(['type', 'name', 'description', 'input_schema', 'cache_control', 'strict']), t);
  const fn: JsonObject = { name: tool.name, parameters: tool.input_schema ?? { type: 'object', properties: {} } };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.strict === true) fn.strict = true;
  return { type: 'function', function: fn };
}

function toolChoice(choice: JsonObject | undefined, t: Target): JsonObject {
  if (choice === undefined) return {};
  const out: JsonObject = {};
  switch (choice.type) {
    case 'auto':
      out.tool_choice = 'auto';
      break;
    case 'any':
      out.tool_choice = 'required';
      break;
    case 'none':
      out.tool_choice = 'none';
      break;
    case 'tool':
      out.tool_choice = { type: 'function', function: { name: choice.name } };
      break;
    default:
      throw refuse(`\`tool_choice\` of type ${kind(choice.type)}`, 'it has no chat equivalent', t);
  }
  if (choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}

function responseFormat(format: JsonObject, t: Target): JsonObject {
  if (format.type !== 'json_schema') throw refuse(`\`output_config.format\` of type ${kind(format.type)}`, 'only JSON schemas map to response_format', t);
  return { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
}
