import { MAX_BODY_COPY, firstNonSpace, isEventStream, isSuccess } from '../providers/shared/taps.js';
import type { Metered, ResponseTap, UpstreamErrorInfo } from '../providers/types.js';
import { SseTranslation } from './event-translator.js';

/** How the client's response is rebuilt from the upstream's. */
export interface ResponseTranslator {
  /** An event translator for a 2xx stream. */
  stream(): ConstructorParameters<typeof SseTranslation>[0];
  /** A 2xx JSON body in the client's dialect; throws when it cannot be rebuilt. */
  body(json: unknown): string;
  /** A non-2xx upstream error in the client's dialect, with the status the client gets. */
  error(status: number, text: string | undefined): { status: number; body: string };
  /** A 502 in the client's dialect, for an upstream body that could not be rebuilt. */
  failure(message: string): string;
  /** The response id the client sees for the upstream's (the ledger records the client's, as its telemetry reports it). */
  responseId(upstreamId: string): string;
}

/** The client's side of a translated response. */
export interface TranslatedResponse {
  /** Meters the upstream's bytes with the upstream's own tap and emits the client's bytes. */
  tap: ResponseTap;
  /** The client's status and content type; for bodies, final only once the body has been rebuilt. */
  head(): { status: number; contentType: string };
  /** Streams send their head at once; bodies only once rebuilt, as their status may still change. */
  eager: boolean;
}

const discard = (): void => undefined;

/**
 * Builds the translating tap for one upstream response. The upstream's own tap reads
 * usage from the untranslated bytes (so the ledger holds what the upstream reported);
 * beside it, streams are translated event by event as chunks arrive, and bodies (JSON
 * and errors) are rebuilt once complete.
 */
export function translateResponse(meter: ResponseTap, t: ResponseTranslator, ctx: Context): TranslatedResponse {
  if (!isSuccess(ctx.status)) return bodyTranslation(meter, t, ctx);
  if (isEventStream({ ...ctx, injectedStreamUsage: false, requestedModel: '' })) return streamTranslation(meter, t, ctx);
  return ctx.stream ? sniffedTranslation(meter, t, ctx) : bodyTranslation(meter, t, ctx);
}

type Context = { status: number; contentType: string | undefined; stream: boolean };

/**
 * A stream its server labels otherwise (`text/plain`, `application/json`: some OpenAI-compatible
 * servers do): its first byte that is not white space tells events from a JSON body, as the SDKs
 * and the upstream's own tap (sniffedStream) read it. The head waits for that byte.
 */
function sniffedTranslation(meter: ResponseTap, t: ResponseTranslator, ctx: Context): TranslatedResponse {
  let chosen: TranslatedResponse | undefined;
  let held: Buffer[] = [];
  const choose = (first: number | undefined, emit: (b: Buffer) => void): TranslatedResponse => {
    chosen = first === undefined || first === 0x7b || first === 0x5b ? bodyTranslation(meter, t, ctx) : streamTranslation(meter, t, ctx);
    for (const b of held) chosen.tap.push(b, emit);
    held = [];
    return chosen;
  };
  return {
    eager: false,
    head: () => (chosen ?? choose(undefined, discard)).head(),
    tap: {
      push(chunk, emit) {
        if (chosen === undefined) {
          const at = firstNonSpace(chunk);
          if (at < 0) return void held.push(chunk);
          choose(chunk[at], emit);
        }
        chosen!.tap.push(chunk, emit);
      },
      finish(complete, emit) {
        return (chosen ?? choose(undefined, emit)).tap.finish(complete, emit);
      },
    },
  };
}

/** A 2xx stream, translated event by event as chunks arrive. */
function streamTranslation(meter: ResponseTap, t: ResponseTranslator, ctx: Context): TranslatedResponse {
  const sse = new SseTranslation(t.stream());
  return {
    eager: true,
    head: () => ({ status: ctx.status, contentType: 'text/event-stream; charset=utf-8' }),
    tap: {
      push(chunk, emit) {
        meter.push(chunk, discard);
        const out = sse.push(chunk);
        if (out !== '') emit(Buffer.from(out));
      },
      finish(complete, emit) {
        const m = clientIds(meter.finish(complete, discard), t);
        const out = sse.end(complete);
        if (out !== '') emit(Buffer.from(out));
        return m;
      },
    },
  };
}

/** A body (JSON or an error), rebuilt once complete. */
function bodyTranslation(meter: ResponseTap, t: ResponseTranslator, ctx: Context): TranslatedResponse {
  let status = ctx.status;
  let failure: UpstreamErrorInfo | undefined;
  const parts: Buffer[] = [];
  let size = 0;
  return {
    eager: false,
    head: () => ({ status, contentType: 'application/json' }),
    tap: {
      push(chunk, _emit) {
        meter.push(chunk, discard);
        size += chunk.length;
        if (size <= MAX_BODY_COPY) parts.push(chunk);
      },
      finish(complete, emit) {
        const m: Metered = clientIds(meter.finish(complete, discard), t);
        if (!complete) return m;
        const text = size <= MAX_BODY_COPY ? Buffer.concat(parts, size).toString('utf8') : undefined;
        let body: string;
        if (!isSuccess(ctx.status)) {
          const e = t.error(ctx.status, text);
          status = e.status;
          body = e.body;
        } else {
          try {
            if (text === undefined) throw new Error('the upstream body is too large to translate');
            body = t.body(JSON.parse(text));
          } catch (err) {
            status = 502;
            failure = { type: 'untranslatable_response', message: (err as Error).message };
            body = t.failure(`Tollgate could not translate the upstream's answer: ${failure.message}`);
          }
        }
        emit(Buffer.from(body));
        return failure ? { ...m, error: failure } : m;
      },
    },
  };
}

function clientIds(m: Metered, t: ResponseTranslator): Metered {
  if (m.responseId !== undefined) m.responseId = t.responseId(m.responseId);
  return m;
}
