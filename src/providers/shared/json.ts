/** Small helpers for reading untyped JSON without `any`. */
export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

/** A non-empty string, or undefined. */
export function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Walks nested objects: `dig(body, 'usage', 'prompt_tokens_details')`. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let cur = value;
  for (const key of keys) {
    const obj = asObject(cur);
    if (obj === undefined) return undefined;
    cur = obj[key];
  }
  return cur;
}

/** JSON.parse that returns undefined instead of throwing: upstream bytes are never trusted. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `type` of an event whose JSON starts with it, read without parsing the rest. */
export function peekType(data: string): string | undefined {
  const m = LEADING_TYPE.exec(data);
  if (m) return m[1];
  return asText(dig(parseJson(data), 'type'));
}

const LEADING_TYPE = /^\s*\{\s*"type"\s*:\s*"([^"\\]+)"/;
