/** SSE framing of the events the translators write: one encoder per client dialect. */

/** Anthropic: a named event whose data repeats the name as `type`. */
export function anthropicEvent(type: string, body: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
}

/** OpenAI Chat: data only. */
export function openaiData(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}

export const OPENAI_DONE = 'data: [DONE]\n\n';

/** A keep-alive both SDKs ignore: an SSE comment. */
export const SSE_COMMENT_PING = ': ping\n\n';

/** What a client is told when the upstream's stream ended before its end event. */
export const CUT_SHORT = 'The upstream stream ended before it was complete: the answer is cut short.';
