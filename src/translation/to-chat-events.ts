import { type JsonObject, asObject, asText, parseJson } from '../providers/shared/json.js';
import type { SseEvent } from '../sse/parser.js';
import type { EventTranslator } from './event-translator.js';
import { type OpenaiReplyContext, completionId } from './openai-client/response.js';
import { CUT_SHORT, SSE_COMMENT_PING, openaiData } from './sse-out.js';
import { openaiStreamError } from './openai-client/errors.js';

/** What every chunk of one translated chat stream repeats. */
export interface ChunkHead {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  tier: string;
}

/**
 * An upstream stream rebuilt as chat chunks, whatever the upstream: each upstream event is
 * handed to `translate` (pings become SSE comments, nothing follows the end or an error),
 * and the chunks written have one choice each, `usage: null` on each when the client asked
 * for a usage chunk at the end (as OpenAI sends them), and that usage chunk with no choices.
 */
export abstract class ToChatEvents implements EventTranslator {
  protected head: ChunkHead | undefined;
  /** Set once the stream has ended or failed: nothing more is written. */
  protected done = false;
  protected readonly c: OpenaiReplyContext;

  constructor(c: OpenaiReplyContext) {
    this.c = c;
  }

  event(e: SseEvent | null): string {
    if (this.done) return '';
    if (e === null) return SSE_COMMENT_PING;
    const data = asObject(parseJson(e.data));
    if (data === undefined) return '';
    return this.translate(e.event ?? asText(data.type) ?? '', data);
  }

  end(): string {
    if (this.done) return '';
    this.done = true;
    // The upstream closed before its end event: the client is told so, as OpenAI ends a chat stream
    // that fails, rather than left with a stream that stops (or a 200 with nothing in it).
    return openaiStreamError({ error: { type: 'upstream_disconnected', message: CUT_SHORT } });
  }

  /** One upstream event, by its type: the client's chunks for it. */
  protected abstract translate(type: string, data: JsonObject): string;

  protected chunk(delta: JsonObject, finish: string | null = null): string {
    const h = this.headOrDefault();
    const body: JsonObject = { id: h.id, object: 'chat.completion.chunk', created: h.created, model: h.model, service_tier: h.tier, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    if (this.c.includeUsage) body.usage = null;
    return openaiData(body);
  }

  /** The closing usage chunk, when the client set `stream_options.include_usage`. */
  protected usageChunk(usage: Record<string, unknown>): string {
    if (!this.c.includeUsage) return '';
    const h = this.headOrDefault();
    return openaiData({ id: h.id, object: 'chat.completion.chunk', created: h.created, model: h.model, service_tier: h.tier, system_fingerprint: null, choices: [], usage });
  }

  private headOrDefault(): ChunkHead {
    return this.head ?? { id: completionId(undefined), model: this.c.model, created: this.c.created, tier: 'default' };
  }
}
