import { type OnEvent, type SseEvent, SseParser } from '../../sse/parser.js';
import { type Usage, hasTokens } from '../../core/usage.js';
import type { Metered, ResponseTap, TapContext } from '../types.js';
import { type JsonObject, asObject, asText, parseJson } from './json.js';
import { errorFromBody, errorFromValue } from './upstream-error.js';
import { nothingMetered, withResponseId } from './metered.js';
import { type DeltaMeter, tokensSoFar } from './streamed-text.js';

/** Reads what a stream's events say. Implementations never throw on bad upstream bytes. */
export interface StreamReader {
  onEvent(event: SseEvent): void;
  result(complete: boolean): Metered;
  /**
   * Whether a run of whole events, given as text (latin1: one character per byte), can
   * change nothing the reader records, so that it need not be parsed. Readers without it
   * see every event.
   */
  ignorable?(text: string): boolean;
  /** The text its deltas streamed so far (ResponseTap.outputSoFar). */
  readonly streamed?: DeltaMeter;
}

/**
 * Observe-only SSE tap: each chunk goes to the client unchanged and at once; the
 * parser reads a copy on the side. With `early`, the reader's result may be read mid-stream
 * (readers whose `result` only reads their state, for dialects that report usage early).
 */
export function observeSse(reader: StreamReader, early = false): ResponseTap {
  const parser = new SseParser();
  const onEvent: OnEvent = (_raw, event) => {
    if (event !== null) reader.onEvent(event);
  };
  const tap: ResponseTap = {
    push(chunk, emit) {
      emit(chunk);
      // Most chunks are whole events that say nothing metered (text deltas): skip the parser.
      if (reader.ignorable && parser.idle && wholeEvents(chunk) && reader.ignorable(chunk.toString('latin1'))) return;
      parser.push(chunk, onEvent);
    },
    finish(complete) {
      parser.end(onEvent);
      return reader.result(complete);
    },
  };
  if (early) tap.usageSoFar = () => usageIfAny(reader.result(false).usage);
  const meter = reader.streamed;
  if (meter !== undefined) tap.outputSoFar = () => tokensSoFar(meter);
  return tap;
}

function usageIfAny(u: Usage): Usage | undefined {
  return hasTokens(u) ? u : undefined;
}

/**
 * Whether a chunk that starts between two events ends between two as well, LF-framed:
 * parsed, it would leave the parser as it found it.
 */
export function wholeEvents(chunk: Buffer): boolean {
  const n = chunk.length;
  return n >= 2 && chunk[n - 1] === 0x0a && chunk[n - 2] === 0x0a && chunk.indexOf(0x0d) < 0;
}

/** Whether every event of `text` (whole, LF-framed events) starts with one of `openings` (the most frequent first). */
export function everyEventOpensWith(text: string, openings: readonly string[]): boolean {
  for (let at = 0; at < text.length; ) {
    let known = false;
    for (let i = 0; !known && i < openings.length; i++) known = text.startsWith(openings[i]!, at);
    if (!known) return false;
    const blank = text.indexOf('\n\n', at);
    if (blank < 0) return false;
    at = blank + 2;
  }
  return true;
}

/** Largest non-stream body copied for metering; a bigger body is forwarded, and only its tail is read. */
export const MAX_BODY_COPY = 32 * 1024 * 1024;

/**
 * What is kept of the end of a body too large to copy: its closing members, where OpenAI puts
 * `usage` (after an embeddings batch's vectors, which can pass the copy limit), Gemini
 * `usageMetadata` (after the candidates, whose generated images come inline) and Anthropic
 * `usage` (after the content, where web fetches put PDFs inline).
 */
export const BODY_TAIL_BYTES = 64 * 1024;

/**
 * Tap for a whole (non-stream) JSON body: forwards each chunk at once, keeps a copy,
 * and reads it when the body ends. `read` gets undefined when the body was too large,
 * with the body's last bytes (up to BODY_TAIL_BYTES) as `tail`. `fromTail`, for bodies whose
 * metered members close them, reads a body longer than its tail from the tail alone first (given
 * the body's chunks too, to search them): what it cannot read there (undefined) is read from the
 * whole body, as without it.
 */
export function bufferBody(
  read: (text: string | undefined, complete: boolean, tail?: Buffer) => Metered,
  maxBytes = MAX_BODY_COPY,
  fromTail?: (tail: Buffer, complete: boolean, body: readonly Buffer[]) => Metered | undefined,
): ResponseTap {
  let parts: Buffer[] = [];
  let size = 0;
  let overflowed = false;
  return {
    push(chunk, emit) {
      emit(chunk);
      size += chunk.length;
      parts.push(chunk);
      if (size > maxBytes) overflowed = true;
      // Past the limit only the tail is kept: whole chunks, dropped from the front.
      if (overflowed) while (parts.length > 1 && size - parts[0]!.length >= BODY_TAIL_BYTES) size -= parts.shift()!.length;
    },
    finish(complete) {
      const held = parts;
      parts = [];
      // A body read from its tail is never joined (a copy of megabytes).
      if (overflowed) return read(undefined, complete, lastBytes(held, BODY_TAIL_BYTES));
      const fromEnd = fromTail && size > BODY_TAIL_BYTES ? fromTail(lastBytes(held, BODY_TAIL_BYTES), complete, held) : undefined;
      if (fromEnd) return fromEnd;
      // Most bodies arrive in one chunk: decode it in place rather than copy it first.
      const whole = held.length === 1 ? held[0]! : Buffer.concat(held, size);
      return read(whole.toString('utf8'), complete);
    },
  };
}

/** The last `n` bytes held in `parts` (all of them when they hold fewer), joining only the parts they span. */
function lastBytes(parts: readonly Buffer[], n: number): Buffer {
  let from = parts.length;
  let held = 0;
  while (from > 0 && held < n) held += parts[--from]!.length;
  const joined = from === parts.length - 1 ? parts[from]! : Buffer.concat(parts.slice(from), held);
  return joined.subarray(Math.max(0, joined.length - n));
}

/** Whether `needle` occurs in the bytes of `chunks` taken in order, across their boundaries too (however small the chunks). */
export function chunksInclude(chunks: readonly Buffer[], needle: string): boolean {
  const span = Buffer.byteLength(needle) - 1;
  // The last `span` bytes before the current chunk: where an occurrence ending in it may start.
  let carry: Buffer = Buffer.alloc(0);
  for (const chunk of chunks) {
    if (chunk.includes(needle)) return true;
    if (span === 0) continue;
    if (carry.length > 0 && Buffer.concat([carry, chunk.subarray(0, span)]).includes(needle)) return true;
    carry = chunk.length >= span ? chunk.subarray(chunk.length - span) : Buffer.concat([carry, chunk]).subarray(-span);
  }
  return false;
}

/** The tap for a 2xx answer of a free API (models, token counts): nothing to meter, only an error the body may carry. */
export function freeBodyTap(): ResponseTap {
  return bufferBody((text, complete) => nothingMetered(complete, text === undefined ? undefined : errorFromValue(parseJson(text))));
}

/**
 * The tap for the answer to an upload that makes a stored object (a file): free, its id the row's
 * `response_id`, so that the gateway knows who made it (auth.stored_objects).
 */
export function createdObjectTap(isObject: (o: JsonObject) => boolean): ResponseTap {
  return bufferBody((text, complete) => {
    const value = text === undefined ? undefined : parseJson(text);
    const o = asObject(value);
    const m = nothingMetered(complete, errorFromValue(value));
    return complete && o !== undefined && isObject(o) ? withResponseId(m, asText(o.id)) : m;
  });
}

/** The tap for a 2xx answer that is not JSON and bills nothing (a file's content): each chunk forwarded at once, none kept. */
export function passBodyTap(): ResponseTap {
  return { push: (chunk, emit) => emit(chunk), finish: (complete) => nothingMetered(complete), readsNothing: true };
}

/** The tap for a non-2xx response: the body is an error, and nothing was used. */
export function errorBodyTap(status: number): ResponseTap {
  return bufferBody((text, complete) => nothingMetered(complete, errorFromBody(text, status)), 64 * 1024);
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * The tap for a streamed request's 2xx answer whose content type does not say it is events:
 * some servers, and proxies in front of them, label their streams `text/plain` or
 * `application/json`. Its first byte that is not white space tells: `{` or `[` begins a JSON
 * body, anything else (`data:`, `event:`, a comment) events. White space before it is held until then.
 */
export function sniffedStream(events: () => ResponseTap, body: () => ResponseTap): ResponseTap {
  let tap: ResponseTap | undefined;
  let held: Buffer[] = [];
  const release = (chosen: ResponseTap, emit: (bytes: Buffer) => void): ResponseTap => {
    for (const bytes of held) chosen.push(bytes, emit);
    held = [];
    return chosen;
  };
  return {
    push(chunk, emit) {
      if (tap === undefined) {
        const at = firstNonSpace(chunk);
        if (at < 0) return void held.push(chunk);
        tap = release(chunk[at] === 0x7b || chunk[at] === 0x5b ? body() : events(), emit);
      }
      tap.push(chunk, emit);
    },
    finish(complete, emit) {
      tap ??= release(body(), emit);
      return tap.finish(complete, emit);
    },
    usageSoFar: () => tap?.usageSoFar?.(),
    outputSoFar: () => tap?.outputSoFar?.(),
  };
}

/** Where a chunk's first byte that is not white space is, or -1. */
export function firstNonSpace(chunk: Buffer): number {
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return i;
  }
  return -1;
}

/** SSE when the upstream says so; a streamed request with no content type is taken as SSE too. */
export function isEventStream(ctx: TapContext): boolean {
  if (ctx.contentType === undefined) return ctx.stream;
  return ctx.contentType.toLowerCase().includes('text/event-stream');
}
