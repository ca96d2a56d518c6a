import { type OnEvent, type SseEvent, SseParser } from '../sse/parser.js';

/**
 * Rebuilds one upstream SSE stream in the client's dialect, event by event: each
 * upstream event yields the client's events for it at once, so nothing is held back.
 */
export interface EventTranslator {
  /** One upstream event, or null for a comment-only (keep-alive) block. Returns the client's bytes. */
  event(e: SseEvent | null): string;
  /** The upstream body ended; returns what is still owed (only when the stream finished properly). */
  end(complete: boolean): string;
}

/** Feeds raw upstream chunks through the SSE parser into a translator. */
export class SseTranslation {
  private readonly parser = new SseParser();
  private out = '';
  private readonly t: EventTranslator;
  private readonly onEvent: OnEvent = (_raw, e) => {
    this.out += this.t.event(e);
  };

  constructor(t: EventTranslator) {
    this.t = t;
  }

  push(chunk: Buffer): string {
    this.parser.push(chunk, this.onEvent);
    return this.take();
  }

  end(complete: boolean): string {
    this.parser.end(this.onEvent);
    this.out += this.t.end(complete);
    return this.take();
  }

  private take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }
}
