import { expect } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { type Harness, eventually } from './harness.js';

/** An SSE event, named or not. */
export const sse = (data: object | string, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
/** The deltas the client reads before it leaves: 24 pieces, 936 characters (234 tokens). */
export const PIECES = Array.from({ length: 24 }, (_, i) => `Piece ${String(i).padStart(2, '0')} of the answer, which goes on. `);
export const TEXT = PIECES.join('');
export const STREAMED = tokensOfChars(TEXT.length);

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
