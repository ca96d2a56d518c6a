import { type JsonObject, asObject, parseJson } from '../shared/json.js';
import type { RequestInfo, RequestRewrite, RouteMatch } from '../types.js';

const INSERTION = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * A streamed chat (or text completion) request only gets usage back if it asks for it, so the gateway
 * asks on the client's behalf (and the rewrite tap hides the answer again). Every
 * other request is forwarded as its raw bytes.
 */
export function rewriteOpenaiRequest(route: RouteMatch, info: RequestInfo, raw: Buffer): RequestRewrite | undefined {
  if ((route.api !== 'openai.chat' && route.api !== 'openai.completions') || !info.stream) return undefined;
  const body = mayHaveStreamOptions(raw) ? asObject(parseJson(raw.toString('utf8'))) : undefined;
  if (body === undefined || !Object.hasOwn(body, 'stream_options')) {
    const inserted = insertAfterBrace(raw);
    if (inserted !== undefined) return { body: inserted, injectedStreamUsage: true };
    const parsed = body ?? asObject(parseJson(raw.toString('utf8')));
    return parsed === undefined ? undefined : reserialise(parsed);
  }
  if (asObject(body.stream_options)?.include_usage === true) return undefined;
  return reserialise(body);
}

/**
 * Skips a second parse of the body in the common case: the key can only be present if
 * its name is in the bytes, or spelled with a `\u` escape.
 */
function mayHaveStreamOptions(raw: Buffer): boolean {
  return raw.includes('stream_options') || raw.includes('\\u');
}

/** Inserts the member right after the opening brace, keeping every other byte. */
function insertAfterBrace(raw: Buffer): Buffer | undefined {
  const open = skipSpace(raw, 0);
  if (raw[open] !== 0x7b /* { */) return undefined;
  // An empty object would be left with a trailing comma; it cannot stream anyway.
  if (raw[skipSpace(raw, open + 1)] === 0x7d /* } */) return undefined;
  return Buffer.concat([raw.subarray(0, open + 1), INSERTION, raw.subarray(open + 1)]);
}

function reserialise(body: JsonObject): RequestRewrite {
  // Assigning in place keeps the key where the client put it.
  body.stream_options = { ...asObject(body.stream_options), include_usage: true };
  return { body: Buffer.from(JSON.stringify(body)), injectedStreamUsage: true };
}

function skipSpace(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) break;
    i++;
  }
  return i;
}
