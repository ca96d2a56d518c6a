import { hash } from 'node:crypto';
import { type Api, isConversation } from '../../core/api.js';

/**
 * Request features read from the parsed body, one pure function each, per API. Each
 * returns what the client asked for; nothing here estimates tokens (that is
 * metering's `estimateInputTokens`, reused by the router).
 */

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Whether the request declares tools (or OpenAI's legacy `functions`). */
export function hasTools(api: Api, body: unknown): boolean {
  const b = obj(body);
  if (!b) return false;
  if (list(b.tools).length > 0) return true;
  return api === 'openai.chat' && list(b.functions).length > 0;
}

/** Whether any message carries an image, in the API's own content-part shape. */
export function hasImages(api: Api, body: unknown): boolean {
  const b = obj(body);
  if (!b || !isConversation(api)) return false;
  switch (api) {
    case 'openai.chat':
      return list(b.messages).some((m) => list(obj(m)?.content).some((p) => obj(p)?.type === 'image_url'));
    case 'openai.responses':
    case 'openai.compact':
    case 'openai.input_tokens':
      return list(b.input).some((item) => obj(item)?.type === 'input_image' || list(obj(item)?.content).some((p) => obj(p)?.type === 'input_image'));
    case 'anthropic.messages':
    case 'anthropic.count_tokens':
      return list(b.messages).some((m) => list(obj(m)?.content).some(anthropicImage));
    case 'gemini.generate':
    case 'gemini.count_tokens':
      return list(b.contents).some((c) => list(obj(c)?.parts).some(geminiImage));
  }
}

/** An image block, also inside a tool result (screenshots come back that way). */
function anthropicImage(block: unknown): boolean {
  const b = obj(block);
  if (!b) return false;
  if (b.type === 'image') return true;
  return b.type === 'tool_result' && list(b.content).some((c) => obj(c)?.type === 'image');
}

function geminiImage(part: unknown): boolean {
  const p = obj(part);
  const data = obj(p?.inlineData) ?? obj(p?.inline_data) ?? obj(p?.fileData) ?? obj(p?.file_data);
  const mime = data?.mimeType ?? data?.mime_type;
  return typeof mime === 'string' && mime.toLowerCase().startsWith('image/');
}

/**
 * The reasoning effort the request asks for, lower-cased, or undefined when it says
 * nothing (the provider's default). OpenAI: `reasoning_effort` (chat) or `reasoning.effort`
 * (responses). Anthropic: `output_config.effort`, else the `thinking` type (`disabled`
 * reads as `none`; `enabled` and `adaptive` as themselves). Gemini:
 * `thinkingConfig.thinkingLevel`, else a `thinkingBudget` of 0 reads as `none` and any
 * other budget as `enabled`.
 */
export function reasoningEffort(api: Api, body: unknown): string | undefined {
  const b = obj(body);
  if (!b || !isConversation(api)) return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v.toLowerCase() : undefined);
  switch (api) {
    case 'openai.chat':
      return text(b.reasoning_effort);
    case 'openai.responses':
    case 'openai.compact':
    case 'openai.input_tokens':
      return text(obj(b.reasoning)?.effort);
    case 'anthropic.messages':
    case 'anthropic.count_tokens': {
      const effort = text(obj(b.output_config)?.effort);
      if (effort) return effort;
      const type = text(obj(b.thinking)?.type);
      return type === 'disabled' ? 'none' : type;
    }
    case 'gemini.generate':
    case 'gemini.count_tokens': {
      const config = obj(obj(b.generationConfig)?.thinkingConfig);
      const level = text(config?.thinkingLevel);
      if (level) return level;
      const budget = config?.thinkingBudget;
      return typeof budget === 'number' ? (budget === 0 ? 'none' : 'enabled') : undefined;
    }
  }
}

/**
 * The system prompt as one string: the text of every system (and OpenAI `developer`)
 * message or block, in order, joined by a blank line ("\n\n"). Undefined when there is none.
 * OpenAI chat: messages with role system or developer. Responses: `instructions`, then
 * input items with those roles. Anthropic: `system` (a string or text blocks). Gemini:
 * `systemInstruction.parts[].text`.
 */
export function systemText(api: Api, body: unknown): string | undefined {
  const b = obj(body);
  if (!b || !isConversation(api)) return undefined;
  const parts: string[] = [];
  const addContent = (content: unknown) => {
    if (typeof content === 'string') parts.push(content);
    else for (const p of list(content)) if (typeof obj(p)?.text === 'string') parts.push(obj(p)!.text as string);
  };
  const isSystem = (m: unknown) => obj(m)?.role === 'system' || obj(m)?.role === 'developer';
  switch (api) {
    case 'openai.chat':
      for (const m of list(b.messages)) if (isSystem(m)) addContent(obj(m)!.content);
      break;
    case 'openai.responses':
    case 'openai.compact':
    case 'openai.input_tokens':
      if (typeof b.instructions === 'string') parts.push(b.instructions);
      for (const m of list(b.input)) if (isSystem(m)) addContent(obj(m)!.content);
      break;
    case 'anthropic.messages':
    case 'anthropic.count_tokens':
      addContent(b.system);
      break;
    case 'gemini.generate':
    case 'gemini.count_tokens':
      addContent(obj(b.systemInstruction ?? b.system_instruction)?.parts);
      break;
  }
  return parts.length === 0 ? undefined : parts.join('\n\n');
}

/** Hex characters kept of the SHA-256: 64 bits, ample to tell prompts apart. */
export const SYSTEM_HASH_LENGTH = 16;

/** The first 16 hex characters of the SHA-256 of the text's UTF-8 bytes (what `tollgate routing hash-system` prints). */
export function systemHash(text: string): string {
  return hash('sha256', text, 'hex').slice(0, SYSTEM_HASH_LENGTH);
}
