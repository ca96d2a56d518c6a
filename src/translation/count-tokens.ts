import { asObject } from '../providers/shared/json.js';

/** Anthropic's own rule of thumb for an image at the largest size it keeps (about 1.15 megapixels / 750). */
const IMAGE_TOKENS = 1600;
/** Members that are framing, not prompt text. */
const SKIPPED = new Set(['model', 'type', 'cache_control', 'max_tokens', 'stream', 'metadata', 'thinking', 'output_config', 'context_management', 'tool_choice']);

/**
 * An estimate of a Messages request's input tokens, for `count_tokens` on a translated
 * route, where the upstream has no such endpoint: about four characters per token over
 * every string that reaches the model (system, messages, tool inputs and results, tool
 * names, descriptions and schemas), plus a fixed count per image instead of its base64 size.
 */
export function estimateMessageTokens(body: unknown): number {
  let chars = 0;
  let images = 0;
  const walk = (v: unknown, key: string | undefined): void => {
    if (key !== undefined && SKIPPED.has(key)) return;
    if (typeof v === 'string') {
      chars += v.length;
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v as unknown[]) walk(x, undefined);
      return;
    }
    const obj = asObject(v);
    if (obj === undefined) return;
    if (obj.type === 'image') {
      images++;
      return;
    }
    for (const k of Object.keys(obj)) walk(obj[k], k);
  };
  walk(body, undefined);
  return Math.ceil(chars / 4) + images * IMAGE_TOKENS;
}
