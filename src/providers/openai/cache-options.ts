import type { Api } from '../../core/api.js';

/** The APIs whose bodies carry `prompt_cache_options` and per-part `prompt_cache_breakpoint` markers. */
const CACHE_OPTION_APIS: ReadonlySet<Api> = new Set<Api>(['openai.chat', 'openai.responses', 'openai.compact']);

/**
 * GPT-5.6 and later (`gpt-5.6-*`, `gpt-6*`…) take `prompt_cache_options` and `prompt_cache_breakpoint`;
 * older models refuse both with a 400 (protocols.md §2.2).
 */
export function takesCacheOptions(model: string): boolean {
  const v = /^(?:openai\/)?gpt-(\d+)(?:\.(\d+))?/.exec(model.toLowerCase());
  if (!v) return false;
  const [major, minor] = [Number(v[1]), Number(v[2] ?? 0)];
  return major > 5 || (major === 5 && minor >= 6);
}

/**
 * Takes GPT-5.6's cache options out of a body whose model a policy or route changed to one that
 * refuses them: the client asked the newer model, so they were valid as sent. `body` is a shallow
 * copy; the parts it shares with the parsed request are copied before they change.
 */
export function dropCacheOptions(api: Api, body: Record<string, unknown>, model: string): void {
  if (!CACHE_OPTION_APIS.has(api) || takesCacheOptions(model)) return;
  delete body.prompt_cache_options;
  for (const key of ['messages', 'input']) {
    const list = body[key];
    if (Array.isArray(list) && list.some(markedItem)) body[key] = list.map((item: unknown) => (markedItem(item) ? unmarkedItem(item as Record<string, unknown>) : item));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function marked(part: unknown): boolean {
  return isObject(part) && 'prompt_cache_breakpoint' in part;
}

function markedItem(item: unknown): boolean {
  return isObject(item) && Array.isArray(item.content) && item.content.some(marked);
}

function unmarkedItem(item: Record<string, unknown>): Record<string, unknown> {
  const content = (item.content as unknown[]).map((part) => {
    if (!marked(part)) return part;
    const { prompt_cache_breakpoint: _, ...rest } = part as Record<string, unknown>;
    return rest;
  });
  return { ...item, content };
}
