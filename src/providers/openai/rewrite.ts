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
  // Whether the body has stream_options was read when it was parsed (RequestInfo.streamOptions):
  // these bytes, which can be large, need no second look.
  if (info.streamOptions?.includeUsage === true) return undefined;
  if (info.streamOptions === undefined) {
    const inserted = insertAfterBrace(raw);
    if (inserted !== undefined) return { body: inserted, injectedStreamUsage: true };
  }
  const body = asObject(parseJson(raw.toString('utf8')));
  return body === undefined ? undefined : reserialise(body);
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
