import { expect } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { type Harness, eventually } from './harness.js';

/** An SSE event, named or not. */
export const sse = (data: object | string, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
/** The deltas the client reads before it leaves: 24 pieces, 936 characters (234 tokens). */
export const PIECES = Array.from({ length: 24 }, (_, i) => `Piece ${String(i).padStart(2, '0')} of the answer, which goes on. `);
export const TEXT = PIECES.join('');
export const STREAMED = tokensOfChars(TEXT.length);

/** An Anthropic Messages stream of PIECES as text deltas, with no end: message_start counts 40 input tokens and 1 output token. */
export function anthropicPieces(): string[] {
  const message = { id: 'msg_cut', type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 40, output_tokens: 1 } };
  return [
    sse({ type: 'message_start', message }, 'message_start'),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    ...PIECES.map((text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')),
  ];
}

/** A Responses stream of PIECES as output text deltas, with no end. */
export function responsesPieces(): string[] {
  const response = { id: 'resp_cut', object: 'response', created_at: 1, status: 'in_progress', model: 'gpt-5', output: [], usage: null };
  return [
    sse({ type: 'response.created', sequence_number: 0, response }, 'response.created'),
    ...PIECES.map((delta, i) => sse({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: 'msg_cut', output_index: 0, content_index: 0, delta, logprobs: [] }, 'response.output_text.delta')),
  ];
}

/** Reads a stream's text until the whole of TEXT has come, then aborts it, as a user pressing Esc does; what was read. */
export async function readThenAbort<E>(open: (signal: AbortSignal) => Promise<AsyncIterable<E>>, textOf: (e: E) => string): Promise<string> {
  const ac = new AbortController();
  let got = '';
  try {
    for await (const e of await open(ac.signal)) {
      got += textOf(e);
      if (got.length === TEXT.length) ac.abort();
    }
  } catch {
    /* aborted */
  }
  return got;
}

/** The one row the cut request leaves, once the gateway has seen the client go. */
export async function cutRow(h: Harness) {
  await eventually(() => expect(h.fake.requests[0]!.clientAborted).toBe(true));
  return eventually(async () => {
    const r = await h.rows();
    expect(r).toHaveLength(1);
    return r[0]!;
  });
}
