import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSse } from '../../sse/parser.js';
import { fixtures, runTap, splitAt, splitBetweenEvents } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const chat: RouteMatch = { api: 'openai.chat', dialect: 'openai', method: 'POST' };
const responses: RouteMatch = { api: 'openai.responses', dialect: 'openai', method: 'POST' };
const ctx = (over: Partial<TapContext>): TapContext => ({
  status: 200,
  contentType: 'text/event-stream',
  stream: true,
  injectedStreamUsage: false,
  requestedModel: 'm',
  ...over,
});

const cases: { file: string; route: RouteMatch; ctx: TapContext }[] = [
  { file: 'chat-stream-usage.sse', route: chat, ctx: ctx({}) },
  { file: 'chat-stream-usage.sse', route: chat, ctx: ctx({ injectedStreamUsage: true }) },
  { file: 'chat-stream-gemini-compat.sse', route: chat, ctx: ctx({ injectedStreamUsage: true }) },
  { file: 'chat-stream-error.sse', route: chat, ctx: ctx({ injectedStreamUsage: true }) },
  { file: 'chat-stream.sse', route: chat, ctx: ctx({}) },
  { file: 'responses-stream.sse', route: responses, ctx: ctx({}) },
  { file: 'responses-stream-failed.sse', route: responses, ctx: ctx({}) },
  { file: 'responses-stream-error.sse', route: responses, ctx: ctx({}) },
  { file: 'chat.json', route: chat, ctx: ctx({ contentType: 'application/json', stream: false }) },
  { file: 'responses.json', route: responses, ctx: ctx({ contentType: 'application/json', stream: false }) },
  { file: 'error-rate-limit.json', route: chat, ctx: ctx({ status: 429, contentType: 'application/json' }) },
];

/**
 * What the rewrite tap must send for `bytes`, written independently of it for these
 * compact fixtures: complete events lose `,"usage":null`, the usage-only chunk is
 * dropped, and an incomplete tail (only when `withTail`) passes unchanged.
 */
function oracle(bytes: Buffer, withTail: boolean): string {
  return parseSse(bytes)
    .map(({ raw, event }) => {
      const text = raw.toString();
      if (event === null) return withTail || text.trim() === '' || text.startsWith(':') ? text : '';
      return text.includes('"choices":[],"usage":{') ? '' : text.replace(',"usage":null', '');
    })
    .join('');
}

describe('OpenAI taps: chunking does not matter', () => {
  it('gives the same Metered and the same bytes however the upstream bytes are split', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.boolean(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (c, crlf, truncateAt, cuts) => {
          let input = fixture(c.file);
          if (crlf) input = Buffer.from(input.toString().replaceAll('\n', '\r\n'));
          const complete = truncateAt === undefined;
          if (!complete) input = input.subarray(0, truncateAt % (input.length + 1));
          const whole = runTap(openaiAdapter.createTap(c.route, c.ctx), [input], complete);
          const split = runTap(openaiAdapter.createTap(c.route, c.ctx), splitAt(input, cuts), complete);
          expect(split.metered).toEqual(whole.metered);
          expect(split.bytes.equals(whole.bytes)).toBe(true);
          if (!c.ctx.injectedStreamUsage) expect(split.bytes.equals(input)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('rewrite tap: sends exactly the oracle bytes, and every complete event as soon as it is complete', () => {
    const files = ['chat-stream-usage.sse', 'chat-stream-error.sse', 'chat-stream-gemini-compat.sse'];
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.boolean(), fc.nat(), fc.array(fc.nat(), { maxLength: 30 }), (file, crlf, truncateAt, cuts) => {
        let input = fixture(file);
        if (crlf) input = Buffer.from(input.toString().replaceAll('\n', '\r\n'));
        input = input.subarray(0, truncateAt % (input.length + 1));
        const tap = openaiAdapter.createTap(chat, ctx({ injectedStreamUsage: true }));
        const out: Buffer[] = [];
        const emit = (b: Buffer) => out.push(Buffer.from(b));
        let seen = 0;
        for (const chunk of splitAt(input, cuts)) {
          tap.push(Buffer.from(chunk), emit); // the tap may edit its chunk: the input stays the oracle's
          seen += chunk.length;
          // Everything complete so far has been sent; nothing else has. The parser waits
          // for the byte after a final CR, which may be the LF of the same CRLF.
          const known = input[seen - 1] === 0x0d ? seen - 1 : seen;
          expect(Buffer.concat(out).toString()).toBe(oracle(input.subarray(0, known), false));
        }
        tap.finish(false, emit);
        expect(Buffer.concat(out).toString()).toBe(oracle(input, true));
      }),
      // Found by a random run: a stream cut after an event's blank-line CR, then an empty chunk.
      { numRuns: 300, examples: [['chat-stream-error.sse', true, 654033634, [2132486629]]] },
    );
  });

  it('rewrite tap: chunks of whole events (how upstreams write) give the oracle bytes and the same Metered', () => {
    const files = ['chat-stream-usage.sse', 'chat-stream-error.sse', 'chat-stream-gemini-compat.sse', 'chat-stream.sse'];
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.array(fc.nat(), { maxLength: 12 }), (file, picks) => {
        const input = fixture(file);
        const whole = runTap(openaiAdapter.createTap(chat, ctx({ injectedStreamUsage: true })), [input]);
        const split = runTap(openaiAdapter.createTap(chat, ctx({ injectedStreamUsage: true })), splitBetweenEvents(input, picks));
        expect(split.bytes.toString()).toBe(oracle(input, true));
        expect(split.metered).toEqual(whole.metered);
      }),
      { numRuns: 300 },
    );
  });

  it('observe taps: chunks of whole events give the same Metered as one chunk, and the bytes unchanged', () => {
    const streams = cases.filter((c) => c.file.endsWith('.sse') && !c.ctx.injectedStreamUsage);
    fc.assert(
      fc.property(fc.constantFrom(...streams), fc.array(fc.nat(), { maxLength: 12 }), (c, picks) => {
        const input = fixture(c.file);
        const whole = runTap(openaiAdapter.createTap(c.route, c.ctx), [input]);
        const split = runTap(openaiAdapter.createTap(c.route, c.ctx), splitBetweenEvents(input, picks));
        expect(split.metered).toEqual(whole.metered);
        expect(split.bytes.equals(input)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
