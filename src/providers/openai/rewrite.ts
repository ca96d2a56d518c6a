import { type JsonObject, asObject, parseJson } from '../shared/json.js';
import { findTopLevelMember, skipSpace } from '../shared/json-member.js';
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
  const edited = includeUsageIn(raw);
  if (edited !== undefined) return { body: edited, injectedStreamUsage: true };
  const body = asObject(parseJson(raw.toString('utf8')));
  return body === undefined ? undefined : reserialise(body);
}

/**
 * Sets `include_usage` in the body's own `stream_options`, keeping every other byte (a
 * re-serialised body loses what JSON.parse cannot hold: a seed of 9007199254740993, `1.0`).
 * Checked by parsing the result: a body with the member twice falls back to re-serialising.
 */
function includeUsageIn(raw: Buffer): Buffer | undefined {
  const options = findTopLevelMember(raw, skipSpace(raw, 0), 'stream_options');
  if (options === undefined) return undefined;
  const { valueStart: at, valueEnd: end } = options;
  let edited: Buffer;
  if (raw[at] !== 0x7b /* { */) edited = splice(raw, at, end, '{"include_usage":true}');
  else {
    const member = findTopLevelMember(raw, at, 'include_usage');
    if (member !== undefined) edited = splice(raw, member.valueStart, member.valueEnd, 'true');
    else edited = splice(raw, at + 1, at + 1, raw[skipSpace(raw, at + 1)] === 0x7d /* } */ ? '"include_usage":true' : '"include_usage":true,');
  }
  return asObject(asObject(parseJson(edited.toString('utf8')))?.stream_options)?.include_usage === true ? edited : undefined;
}

function splice(raw: Buffer, from: number, to: number, text: string): Buffer {
  return Buffer.concat([raw.subarray(0, from), Buffer.from(text), raw.subarray(to)]);
}

/** Inserts the member right after the opening brace, keeping every other byte. */
function insertAfterBrace(raw: Buffer): Buffer | undefined {
  const open = skipSpace(raw, 0);
  if (raw[open] !== 0x7b /* { */) return undefined;
  // An empty object would be left with a trailing comma; it cannot stream anyway.
  if (raw[skipSpace(raw, open + 1)] === 0x7d /* } */) return undefined;
  return Buffer.concat([raw.subarray(0, open + 1), INSERTION, raw.subarray(open + 1)]);
}

/** The last resort: the body as JSON.parse read it, with the member set. */
function reserialise(body: JsonObject): RequestRewrite {
  // Assigning in place keeps the key where the client put it.
  body.stream_options = { ...asObject(body.stream_options), include_usage: true };
  return { body: Buffer.from(JSON.stringify(body)), injectedStreamUsage: true };
}
