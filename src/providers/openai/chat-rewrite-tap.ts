import { type OnEvent, type SseEvent, SseParser } from '../../sse/parser.js';
import { type JsonObject, asArray, asObject } from '../shared/json.js';
import type { ResponseTap } from '../types.js';
import { ChatStreamReader } from './chat-stream.js';
import { findTopLevelMember } from './json-member.js';

/**
 * The tap for a chat stream whose request the gateway edited to ask for usage. The
 * client must get exactly the bytes it would have got without `include_usage`, so
 * each complete event is forwarded as is, except that the usage-only last chunk is
 * dropped and the `"usage":null` member OpenAI then adds to every other chunk is cut.
 */
export function chatRewriteTap(): ResponseTap {
  const reader = new ChatStreamReader();
  const parser = new SseParser();
  // One callback for the whole stream; `emit` is the one of the current push.
  let emit: (bytes: Buffer) => void = () => undefined;
  const onEvent: OnEvent = (raw, event) => {
    if (event === null) emit(raw);
    else rewriteEvent(raw, event, reader, emit);
  };
  return {
    push(chunk, pushEmit) {
      emit = pushEmit;
      parser.push(chunk, onEvent);
    },
    finish(_complete, finishEmit) {
      emit = finishEmit;
      // Hands back an incomplete trailing event unchanged.
      parser.end(onEvent);
      return reader.result();
    },
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
  // OpenAI writes "usage" as the chunk's last member: compare the tail in place, no scan.
  const end = endOfData(raw);
  const at = end - USAGE_NULL_TAIL.length;
  if (at > 0 && raw.compare(USAGE_NULL_TAIL, 0, USAGE_NULL_TAIL.length, at, end) === 0 && !event.data.includes('\n')) {
    emit(raw.subarray(0, at));
    return emit(raw.subarray(end - 1));
  }
  if (!event.data.includes('"usage"') || event.data.includes('\n')) return emit(raw);
  // Cutting bytes is only safe when the JSON sits on one data line.
  const start = jsonStart(raw);
  const member = start < 0 ? undefined : findTopLevelMember(raw, start, 'usage');
  if (member === undefined || raw.toString('latin1', member.valueStart, member.valueEnd) !== 'null') return emit(raw);
  emit(raw.subarray(0, member.from));
  emit(raw.subarray(member.to));
}

const USAGE_NULL_TAIL = Buffer.from(',"usage":null}');

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
