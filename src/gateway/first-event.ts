import { SseParser } from '../sse/parser.js';
import type { Metered, ResponseTap } from '../providers/types.js';

/** At most this much of a stream is held while its first event comes; a longer first event goes on unread. */
export const FIRST_EVENT_MAX_BYTES = 16 * 1024;

const ignore = () => undefined;

/**
 * The start of a 200 stream, held back from the client until its first event is whole: an
 * error event there (Anthropic's `overloaded_error`, OpenAI's `{"error":…}`, Gemini's error
 * object), before any byte reached the client, can still be retried like the status it stands
 * for. Only the first event is read (comment lines before it are held with it), by a tap of the
 * stream's own dialect that reads nothing else.
 */
export class FirstEvent {
  /** The bytes held so far, as they came. */
  readonly chunks: Buffer[] = [];
  private bytes = 0;
  private readonly parser = new SseParser();
  private whole = false;
  private readonly probe: ResponseTap;
  private readonly onEvent = (raw: Buffer, event: unknown) => {
    if (this.whole) return;
    this.probe.push(raw, ignore);
    if (event !== null) this.whole = true;
  };

  /** `probe`: an observe-only tap of the stream's dialect (it must not edit the bytes it reads). */
  constructor(probe: ResponseTap) {
    this.probe = probe;
  }

  /** Holds a chunk; true once the first event is whole or FIRST_EVENT_MAX_BYTES are held, when the stream must be decided on. */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.whole) this.parser.push(chunk, this.onEvent);
    return this.whole || this.bytes >= FIRST_EVENT_MAX_BYTES;
  }

  /** What the first event says, once it is whole (undefined before): its `error` is set when it is an error event. */
  read(): Metered | undefined {
    return this.whole ? this.probe.finish(false, ignore) : undefined;
  }
}

/** The tap of a stream held back for a retry: what its first event said stands, the rest is only kept. */
export function heldStreamTap(m: Metered): ResponseTap {
  return { push: ignore, finish: () => m };
}
