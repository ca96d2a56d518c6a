import { zeroUsage } from '../../core/usage.js';
import { asObject, asText, parseJson } from '../shared/json.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';

/**
 * A created explicit cache (`CachedContent`): `usageMetadata.totalTokenCount` is the tokens it
 * holds, recorded as input written to a cache. Their storage is billed by the hour, which the
 * price catalog does not price: the row is unpriced (core/api.ts UNPRICED_APIS), not free.
 */
export function readCachedContent(text: string | undefined, complete: boolean): Metered {
  const value = text === undefined ? undefined : parseJson(text);
  const cache = asObject(value);
  const total = asObject(cache?.usageMetadata)?.totalTokenCount;
  const tokens = typeof total === 'number' && Number.isSafeInteger(total) && total >= 0 ? total : undefined;
  const usage = zeroUsage();
  if (tokens !== undefined) {
    usage.inputTokens = tokens;
    usage.cacheWriteTokens = tokens;
  }
  const m: Metered = { usage, usageSource: tokens === undefined ? 'none' : 'final', servedModel: modelOf(asText(cache?.model)), error: errorFromValue(value), sawEnd: complete };
  const name = asText(cache?.name);
  if (name !== undefined) m.responseId = name;
  return m;
}

/** `models/gemini-2.5-flash` → `gemini-2.5-flash`, as the model a generateContent path names. */
export function modelOf(name: string | undefined): string | undefined {
  return name?.startsWith('models/') ? name.slice('models/'.length) : name;
}

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
}

/**
 * The explicit cache (`cachedContents/…`) a request names: Gemini's `cachedContent` (or
 * `cached_content`), or `google.cached_content` as Gemini's OpenAI-compatible endpoint takes it (also
 * inside `extra_body`). Pure: a few property reads.
 */
export function cachedContentName(json: unknown): string | undefined {
  const google = field(json, 'google') ?? field(field(json, 'extra_body'), 'google');
  const name = field(json, 'cachedContent') ?? field(json, 'cached_content') ?? field(google, 'cached_content');
  return typeof name === 'string' && name !== '' ? name : undefined;
}
