import { type OnEvent, type SseEvent, SseParser } from '../../sse/parser.js';
import { type JsonObject, asArray, asObject } from '../shared/json.js';
import { wholeEvents } from '../shared/taps.js';
import type { ResponseTap } from '../types.js';
import { ChatStreamReader, worthParsingFrom } from './chat-stream.js';
import { findTopLevelMember } from '../shared/json-member.js';
import { tokensSoFar } from '../shared/streamed-text.js';

/**
 * The tap for a chat stream whose request the gateway edited to ask for usage. The
 * client must get exactly the bytes it would have got without `include_usage`, so
 * each complete event is forwarded as is, except that the usage-only last chunk is
 * dropped and the `"usage":null` member OpenAI then adds to every other chunk is cut.
 * `completions`: the legacy Completions API's stream (ChatStreamReader).
 */
export function chatRewriteTap(completions = false): ResponseTap {
  const reader = new ChatStreamReader(completions);
  const parser = new SseParser();
  // One callback for the whole stream; `emit` is the one of the current push.
  let emit: (bytes: Buffer) => void = () => undefined;
  const onEvent: OnEvent = (raw, event) => {
    if (event === null) emit(raw);
    else rewriteEvent(raw, event, reader, emit);
  };
  return {
    push(chunk, pushEmit) {
      if (parser.idle && plainChunk(chunk, reader, pushEmit)) return;
      emit = pushEmit;
      parser.push(chunk, onEvent);
    },
    finish(_complete, finishEmit) {
      emit = finishEmit;
      // Hands back an incomplete trailing event unchanged.
      parser.end(onEvent);
      return reader.result();
    },
    outputSoFar: () => tokensSoFar(reader.streamed),
  };
}

/**
 * Emits the bytes to send for one complete event (nothing to drop it). A cut event goes out as
 * two views of its bytes, not a copy: the relay joins what one upstream chunk yields in one write.
 */
function rewriteEvent(raw: Buffer, event: SseEvent, reader: ChatStreamReader, emit: (bytes: Buffer) => void): void {
  const chunk = reader.read(event);
  if (event.event !== undefined) return emit(raw);
  // Only a chunk the reader parsed can be the usage-only one (the reader parses every usage object).
  if (chunk !== undefined && isUsageOnly(chunk)) return;
  const data = event.data;
  // OpenAI writes "usage" last but for its padding member: read the tail, no scan. The tail is
  // ASCII, so its bytes are counted back from the data's end, and checked: the data line must be
  // the event's last, and the member on it (JSON split over several data lines ends on the last).
  const end = endOfData(raw);
  const cut = usageNullAt(data, 0, data.length);
  const from = end - (data.length - cut);
  if (cut >= 0 && raw.toString('latin1', from, end) === data.slice(cut)) {
    emit(raw.subarray(0, from));
    return emit(raw.subarray(from + USAGE_NULL_MEMBER));
  }
  // Searching the bytes for the member is only safe when the JSON sits on one data line.
  if (data.includes('\n') || !data.includes('"usage"')) return emit(raw);
  const start = jsonStart(raw);
  const member = start < 0 ? undefined : findTopLevelMember(raw, start, 'usage');
  if (member === undefined || raw.toString('latin1', member.valueStart, member.valueEnd) !== 'null') return emit(raw);
  emit(raw.subarray(0, member.from));
  emit(raw.subarray(member.to));
}

/** How OpenAI's chunks end once usage is asked for: the member the client must not see, and the closing brace. */
const USAGE_NULL = ',"usage":null}';
/** The length of `,"usage":null`, what is cut. */
const USAGE_NULL_MEMBER = USAGE_NULL.length - 1;

/**
 * The usual chunk without the event parser: whole one-line `data:` events, LF-framed.
 * Events the reader needs to see (the first ones, until the model is known, and any that
 * may carry tool calls, an error, timings or usage) and those with `"usage"` anywhere but
 * in the closing `,"usage":null}` go through `rewriteEvent` as the parser would have
 * handed them over; the rest lose that closing member, or pass as they are. What is kept
 * goes out as one buffer. Returns false, having done nothing, for any other chunk, which
 * then takes the event-by-event path; the parser must be between events.
 */
function plainChunk(chunk: Buffer, reader: ChatStreamReader, emit: (bytes: Buffer) => void): boolean {
  if (!wholeEvents(chunk)) return false;
  const n = chunk.length;
  // latin1: one character per byte, so offsets in the text are offsets in the chunk.
  const text = chunk.toString('latin1');
  for (let at = 0; at < n; ) {
    const nl = text.indexOf('\n', at);
    if (!text.startsWith('data: ', at) || text.charCodeAt(nl + 1) !== LF) return false;
    at = nl + 2;
  }
  // Kept byte ranges, as [from, to) pairs, merged as they are added.
  const kept: number[] = [];
  const keep = (from: number, to: number) => {
    if (kept.length > 0 && kept[kept.length - 1] === from) kept[kept.length - 1] = to;
    else if (to > from) kept.push(from, to);
  };
  const keepView = (b: Buffer) => keep(b.byteOffset - chunk.byteOffset, b.byteOffset - chunk.byteOffset + b.length);
  // The next match at or after the current event, found once and searched again only when passed.
  let worth = worthParsingFrom(text, 0);
  let usage = -2; // not searched yet; -1: none left
  const usageWithin = (at: number, nl: number) => {
    if (usage !== -1 && usage < at) usage = text.indexOf('"usage"', at);
    return usage >= 0 && usage < nl;
  };
  for (let at = 0; at < n; ) {
    const nl = text.indexOf('\n', at);
    const end = nl + 2;
    if (worth >= 0 && worth < at) worth = worthParsingFrom(text, at);
    const plain = !reader.wantsEveryChunk && (worth < 0 || worth > nl);
    const cut = plain ? usageNullAt(text, at, nl) : -1;
    if (nl - at === 12 && text.startsWith('[DONE]', at + 6)) {
      reader.sawDone();
      keep(at, end);
    } else if (cut >= 0) {
      reader.passedOver(text, at, nl);
      keep(at, cut);
      keep(cut + USAGE_NULL_MEMBER, end);
    } else if (plain && !usageWithin(at, nl)) {
      reader.passedOver(text, at, nl);
      keep(at, end);
    } else {
      // As the parser would hand it over; rewriteEvent emits the event or views of it, never other bytes.
      rewriteEvent(chunk.subarray(at, end), { event: undefined, data: chunk.toString('utf8', at + 6, nl), id: undefined, retry: undefined }, reader, keepView);
    }
    at = end;
  }
  if (kept.length === 2 && kept[0] === 0 && kept[1] === n) emit(chunk);
  else if (kept.length > 0) emit(compact(chunk, kept));
  return true;
}

/**
 * The kept ranges moved to the front of the chunk, in order (each lands at or before where it
 * was, so none overwrites one still to move). In place: a new buffer for every chunk cost the
 * gateway about 5% of its CPU on a small stream, the moves a fraction of that.
 */
function compact(chunk: Buffer, kept: readonly number[]): Buffer {
  let w = 0;
  for (let i = 0; i < kept.length; i += 2) {
    const from = kept[i]!;
    const to = kept[i + 1]!;
    if (from !== w) chunk.copyWithin(w, from, to);
    w += to - from;
  }
  return chunk.subarray(0, w);
}

const OBFUSCATED = ',"usage":null,"obfuscation":"';

/**
 * Where `,"usage":null` starts in a one-line event whose JSON (`text` from `at` to `nl`) ends
 * `,"usage":null}`, or `,"usage":null,"obfuscation":"…"}` (OpenAI's chunks carry that padding
 * member last); -1 otherwise. Only the tail is read (the padding back to its opening quote),
 * and it must be plain ASCII, so that it has as many bytes as characters.
 */
function usageNullAt(text: string, at: number, nl: number): number {
  const closing = nl - USAGE_NULL.length;
  if (closing >= at && text.startsWith(USAGE_NULL, closing)) return closing;
  if (text.charCodeAt(nl - 1) !== 0x7d /* } */ || text.charCodeAt(nl - 2) !== 0x22 /* " */) return -1;
  const quote = text.lastIndexOf('"', nl - 3);
  const from = quote + 1 - OBFUSCATED.length;
  if (quote < 0 || from < at || !text.startsWith(OBFUSCATED, from)) return -1;
  for (let i = quote + 1; i < nl - 2; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */ || c > 0x7e) return -1;
  }
  return from;
}

const LF = 0x0a;

/** The offset just past the event's data, before its closing line endings. */
function endOfData(raw: Buffer): number {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return end;
}

function isUsageOnly(chunk: JsonObject): boolean {
  return asArray(chunk.choices)?.length === 0 && asObject(chunk.usage) !== undefined;
}

/** Offset of the JSON value on the event's `data:` line, or -1. */
function jsonStart(raw: Buffer): number {
  const at = raw.indexOf('data:');
  if (at < 0 || (at > 0 && raw[at - 1] !== 0x0a && raw[at - 1] !== 0x0d)) return -1;
  const value = at + 5;
  return raw[value] === 0x20 ? value + 1 : value;
}
