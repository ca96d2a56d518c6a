import { peekType } from '../providers/shared/json.js';
import { type SseEvent, SseParser } from '../sse/parser.js';
import type { Metered, ResponseTap } from '../providers/types.js';

/** At most this much of a stream is held while its output has not begun; an event ending past it is not read. */
export const OPENING_MAX_BYTES = 16 * 1024;

const ignore = () => undefined;

/**
 * The start of a 200 stream, held back from the client until its output begins. Events that
 * carry no output (`preamble`: a Responses stream's `response.created`, `response.queued` and
 * `response.in_progress`, a Messages stream's `message_start` and pings; comment lines in any
 * dialect) are held, and the first other event decides: an error there (Anthropic's
 * `overloaded_error`, a Responses `error` event or `response.failed`, OpenAI's `{"error":…}`,
 * Gemini's error object) follows nothing the client has, and can still be retried like the status
 * it stands for; any other event is output, and the stream goes on as it came. The decision
 * depends on the bytes alone, never on how they were split into reads: only events that end
 * within the stream's first OPENING_MAX_BYTES count. They are read by a tap of the stream's own
 * dialect that reads nothing else.
 */
export class HeldOpening {
  /** The bytes held so far, as they came. */
  readonly chunks: Buffer[] = [];
  private bytes = 0;
  /** Where the events read so far end in the stream. */
  private parsed = 0;
  private decided = false;
  private readonly parser = new SseParser({ maxEventBytes: OPENING_MAX_BYTES });
  private readonly probe: ResponseTap;
  private readonly preamble: ReadonlySet<string>;
  private readonly onEvent = (raw: Buffer, event: SseEvent | null) => {
    if (this.decided) return;
    this.parsed += raw.length;
    if (this.parsed > OPENING_MAX_BYTES) return;
    this.probe.push(raw, ignore);
    if (event !== null && !(this.preamble.size > 0 && this.preamble.has(event.event ?? peekType(event.data) ?? ''))) this.decided = true;
  };

  /**
   * `probe`: an observe-only tap of the stream's dialect (it must not edit the bytes it reads);
   * `preamble`: the event types (named, or the `type` of the data) that precede output.
   */
  constructor(probe: ResponseTap, preamble: ReadonlySet<string>) {
    this.probe = probe;
    this.preamble = preamble;
  }

  /** Holds a chunk; true once an event other than the preamble is whole, or more than OPENING_MAX_BYTES are held: the stream must be decided on. */
  push(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.decided) this.parser.push(chunk, this.onEvent);
    return this.decided || this.bytes > OPENING_MAX_BYTES;
  }

  /** The stream ended while held: an event its last byte completed (a CR-framed one) counts as well. */
  end(): void {
    if (!this.decided) this.parser.end(this.onEvent);
  }

  /** The stream ended while held: true when nothing but its preamble came, so that it is as cut short as one reset there. */
  endedEarly(): boolean {
    this.end();
    return !this.decided;
  }

  /** What the deciding event says, once it is whole (undefined before, or when none came within the bound): its `error` is set when it is an error. */
  read(): Metered | undefined {
    return this.decided ? this.probe.finish(false, ignore) : undefined;
  }
}

/** The tap of a stream held back for a retry: what its deciding event said stands, the rest is only kept. */
export function heldStreamTap(m: Metered): ResponseTap {
  return { push: ignore, finish: () => m };
}
