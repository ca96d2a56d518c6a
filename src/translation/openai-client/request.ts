import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import { type Target, kind, refuse, refuseUnknown, str } from '../refuse.js';

/** Anthropic requires `max_tokens`; this is sent when an OpenAI client sets no cap. */
export const DEFAULT_MAX_TOKENS = 8192;

/** Chat Completions fields that are mapped, or safe to leave out (docs/translation.md lists why). */
const KNOWN = new Set([
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'n',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'user',
  'safety_identifier',
  // Ignored: no effect on what the model says.
  'metadata',
  'store',
  'seed',
  'service_tier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'modalities',
  'logprobs',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'reasoning_effort',
]);

/**
 * An OpenAI Chat Completions request as an Anthropic Messages request. Throws the
 * `not_translatable` GatewayError for anything Messages cannot express.
 */
export function toMessagesRequest(body: JsonObject, t: Target): JsonObject {
  refuseUnknown(body, KNOWN, t);
  refuseUnsupported(body, t);
  const out: JsonObject = { model: body.model };
  const cap = body.max_completion_tokens ?? body.max_tokens;
  out.max_tokens = typeof cap === 'number' ? cap : DEFAULT_MAX_TOKENS;
  const { system, messages } = conversation(asArray(body.messages) ?? [], t);
  if (system.length > 0) out.system = system;
  out.messages = messages;
  if (typeof body.temperature === 'number') {
    if (body.temperature > 1) throw refuse(`\`temperature: ${body.temperature}\``, 'Anthropic accepts 0 to 1', t);
    out.temperature = body.temperature;
  }
  if (body.top_p !== undefined && body.top_p !== null) out.top_p = body.top_p;
  const stop = typeof body.stop === 'string' ? [body.stop] : asArray(body.stop);
  if (stop !== undefined && stop.length > 0) out.stop_sequences = stop;
  const user = asText(body.safety_identifier) ?? asText(body.user);
  if (user !== undefined) out.metadata = { user_id: user };
  const tools = asArray(body.tools);
  if (tools !== undefined && tools.length > 0) out.tools = tools.map((x) => anthropicTool(asObject(x) ?? {}, t));
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls === false, t);
  if (choice !== undefined) out.tool_choice = choice;
  const format = asObject(body.response_format);
  if (format !== undefined && format.type !== 'text') out.output_config = { format: outputFormat(format, t) };
  if (body.stream === true) out.stream = true;
  return out;
}

/** Features with no Anthropic equivalent: refused when set to anything but their default. */
function refuseUnsupported(b: JsonObject, t: Target): void {
  if (typeof b.n === 'number' && b.n > 1) throw refuse('`n` above 1', 'Anthropic returns one choice per request', t);
  if (b.logprobs === true) throw refuse('`logprobs`', 'Anthropic returns no log probabilities', t);
  if (b.top_logprobs !== undefined) throw refuse('`top_logprobs`', 'Anthropic returns no log probabilities', t);
  for (const k of ['presence_penalty', 'frequency_penalty'] as const) {
    if (typeof b[k] === 'number' && b[k] !== 0) throw refuse(`\`${k}\``, 'Anthropic has no repetition penalties', t);
  }
  if (Object.keys(asObject(b.logit_bias) ?? {}).length > 0) throw refuse('`logit_bias`', 'Anthropic has no token biases', t);
  const modalities = asArray(b.modalities);
  if (modalities?.some((m) => m !== 'text')) throw refuse('Audio output (`modalities`)', 'Anthropic answers in text only', t);
  if (b.reasoning_effort !== undefined && b.reasoning_effort !== 'none') {
    throw refuse('`reasoning_effort`', 'Anthropic reasoning comes back as signed thinking blocks, which a chat client cannot return', t);
  }
  if (b.service_tier !== undefined && b.service_tier !== 'auto' && b.service_tier !== 'default') {
    throw refuse(`\`service_tier: ${str(b.service_tier)}\``, 'OpenAI service tiers do not exist there', t);
  }
}

/** System and developer messages before the first turn become `system`; later ones stay in place (Anthropic accepts mid-conversation system turns). */
function conversation(input: readonly unknown[], t: Target): { system: JsonObject[]; messages: JsonObject[] } {
  const system: JsonObject[] = [];
  const messages: JsonObject[] = [];
  const push = (role: string, blocks: JsonObject[]) => {
    const last = messages.at(-1);
    // Anthropic wants turns to alternate and every tool result in the turn after the calls.
    if (last !== undefined && last.role === role && role !== 'system') (last.content as JsonObject[]).push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const x of input) {
    const m = asObject(x) ?? {};
    switch (m.role) {
      case 'system':
      case 'developer':
        if (messages.length === 0) system.push(...textBlocks(m.content, t));
        else messages.push({ role: 'system', content: textBlocks(m.content, t).map((b) => str(b.text)).join('\n\n') });
        break;
      case 'user':
        push('user', userBlocks(m.content, t));
        break;
      case 'assistant': {
        // An empty assistant turn (`content: ""`, as many frameworks send) is one Anthropic refuses:
        // left out, the user turns around it join into one.
        const blocks = assistantBlocks(m, t);
        if (blocks.length > 0) push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: toolContent(m.content, t) }]);
        break;
      case 'function':
        throw refuse('A `function` message (the legacy functions API)', 'use tools and tool messages', t);
      default:
        throw refuse(`A message with role \`${str(m.role)}\``, 'it has no Anthropic equivalent', t);
    }
  }
  return { system, messages };
}

function textBlocks(content: unknown, t: Target): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return (asArray(content) ?? []).map((x) => {
    const p = asObject(x) ?? {};
    if (p.type !== 'text') throw refuse(`A ${kind(p.type)} part in a system message`, 'system prompts can only be text', t);
    return { type: 'text', text: str(p.text) };
  });
}

function userBlocks(content: unknown, t: Target): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return (asArray(content) ?? []).map((x) => {
    const p = asObject(x) ?? {};
    switch (p.type) {
      case 'text':
        return { type: 'text', text: str(p.text) };
      case 'image_url':
        return { type: 'image', source: imageSource(str(asObject(p.image_url)?.url), t) };
      case 'input_audio':
        throw refuse('Audio input (`input_audio`)', 'Anthropic takes no audio', t);
      case 'file':
        throw refuse('A `file` part (PDF or file input)', 'documents are not translated', t);
      default:
        throw refuse(`A ${kind(p.type)} content part`, 'it has no Anthropic equivalent', t);
    }
  });
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageSource(url: string, t: Target): JsonObject {
  const m = DATA_URL.exec(url);
  if (m) return { type: 'base64', media_type: m[1], data: m[2] };
  if (/^https?:\/\//.test(url)) return { type: 'url', url };
  throw refuse('An image URL that is neither http(s) nor a base64 data URL', 'Anthropic cannot fetch it', t);
}

function assistantBlocks(m: JsonObject, t: Target): JsonObject[] {
  if (m.audio !== undefined && m.audio !== null) throw refuse('An assistant `audio` reply', 'Anthropic takes no audio', t);
  if (m.function_call !== undefined && m.function_call !== null) throw refuse('An assistant `function_call` (the legacy functions API)', 'use tool_calls', t);
  const blocks: JsonObject[] = [];
  if (typeof m.content === 'string' && m.content !== '') blocks.push({ type: 'text', text: m.content });
  for (const x of asArray(m.content) ?? []) {
    const p = asObject(x) ?? {};
    if (p.type === 'text') {
      if (str(p.text) !== '') blocks.push({ type: 'text', text: str(p.text) });
    }
    else if (p.type === 'refusal') blocks.push({ type: 'text', text: str(p.refusal) });
    else throw refuse(`An assistant ${kind(p.type)} part`, 'it has no Anthropic equivalent', t);
  }
  for (const x of asArray(m.tool_calls) ?? []) {
    const call = asObject(x) ?? {};
    if (call.type !== undefined && call.type !== 'function') throw refuse(`A ${kind(call.type)} tool call`, 'only function tools are translated', t);
    const fn = asObject(call.function) ?? {};
    blocks.push({ type: 'tool_use', id: call.id, name: fn.name, input: parseArguments(fn.arguments, t) });
  }
  return blocks;
}

function parseArguments(args: unknown, t: Target): JsonObject {
  if (args === undefined || args === null || args === '') return {};
  try {
    const v = asObject(JSON.parse(str(args)));
    if (v !== undefined) return v;
  } catch {
    // Fall through to the refusal.
  }
  throw refuse('Tool call `arguments` that are not a JSON object', 'Anthropic tool inputs are objects', t);
}

function toolContent(content: unknown, t: Target): string | JsonObject[] {
  if (typeof content === 'string') return content;
  return (asArray(content) ?? []).map((x) => {
    const p = asObject(x) ?? {};
    if (p.type !== 'text') throw refuse(`A ${kind(p.type)} part in a tool message`, 'tool messages carry text', t);
    return { type: 'text', text: str(p.text) };
  });
}

function anthropicTool(tool: JsonObject, t: Target): JsonObject {
  if (tool.type !== 'function') throw refuse(`A ${kind(tool.type)} tool`, 'only function tools are translated', t);
  const fn = asObject(tool.function) ?? {};
  const out: JsonObject = { name: fn.name, input_schema: fn.parameters ?? { type: 'object', properties: {} } };
  if (fn.description !== undefined) out.description = fn.description;
  if (fn.strict === true) out.strict = true;
  return out;
}

function toolChoice(choice: unknown, noParallel: boolean, t: Target): JsonObject | undefined {
  let out: JsonObject | undefined;
  if (choice === undefined || choice === null) out = noParallel ? { type: 'auto' } : undefined;
  else if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else {
    const c = asObject(choice) ?? {};
    const name = asText(asObject(c.function)?.name);
    if (c.type !== 'function' || name === undefined) throw refuse(`\`tool_choice\` of type ${kind(c.type)}`, 'only auto, required, none and one named function map', t);
    out = { type: 'tool', name };
  }
  if (out !== undefined && noParallel && out.type !== 'none') out.disable_parallel_tool_use = true;
  return out;
}

function outputFormat(format: JsonObject, t: Target): JsonObject {
  if (format.type !== 'json_schema') throw refuse(`\`response_format\` of type ${kind(format.type)}`, 'Anthropic structured output needs a JSON schema', t);
  const schema = asObject(format.json_schema)?.schema;
  if (asObject(schema) === undefined) throw refuse('`response_format` without a schema', 'Anthropic structured output needs a JSON schema', t);
  return { type: 'json_schema', schema };
}
