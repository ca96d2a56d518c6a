/**
 * Stop reasons both ways (protocols.md §1.4, §3.3). OpenAI's `stop` does not say whether
 * a stop sequence matched; vLLM reports the matched string in a `stop_reason` field, which
 * the Anthropic side uses when the client asked for that sequence.
 */
export function anthropicStopReason(finish: string | undefined, refused: boolean): string {
  if (refused) return 'refusal';
  switch (finish ?? '') {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function openaiFinishReason(stop: string | undefined): string {
  switch (stop ?? '') {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (server tools, never requested here)
      return 'stop';
  }
}

/** The stop sequence an OpenAI-style server says it matched, if the client asked for it. */
export function matchedStopSequence(upstreamStop: unknown, requested: readonly string[]): string | null {
  return typeof upstreamStop === 'string' && requested.includes(upstreamStop) ? upstreamStop : null;
}
