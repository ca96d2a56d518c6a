import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnthropicStreamReader } from '../anthropic/stream.js';
import { GeminiStreamReader } from '../gemini/stream.js';
import { chatRewriteTap } from '../openai/chat-rewrite-tap.js';
import { ChatStreamReader } from '../openai/chat-stream.js';
import { ResponsesStreamReader } from '../openai/responses-stream.js';
import { splitAt } from '../testing/tap-runner.js';
import type { ResponseTap } from '../types.js';
import { observeSse } from './taps.js';

const fixture = (dialect: string, name: string) => readFileSync(new URL(`../${dialect}/fixtures/${name}`, import.meta.url));

const STREAMS: [string, () => ResponseTap, Buffer][] = [
  ['Anthropic', () => observeSse(new AnthropicStreamReader(), true), fixture('anthropic', 'message-stream.sse')],
  ['OpenAI chat', () => observeSse(new ChatStreamReader()), fixture('openai', 'chat-stream.sse')],
  ['OpenAI chat, usage asked for by the gateway', () => chatRewriteTap(), fixture('openai', 'chat-stream-usage.sse')],
  ['OpenAI Responses', () => observeSse(new ResponsesStreamReader()), fixture('openai', 'responses-stream.sse')],
  ['Gemini', () => observeSse(new GeminiStreamReader(), true), fixture('gemini', 'stream.sse')],
];

describe('the output a stream has streamed so far (a row journaled for a crash)', () => {
  it.each(STREAMS)('%s: grows as the text comes and, wherever the stream is cut, is what the cut stream is billed', (_name, tap, body) => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (cuts, stop) => {
        const live = tap();
        let last = 0;
        const prefix = body.subarray(0, stop % (body.length + 1));
        for (const chunk of splitAt(prefix, cuts)) {
          live.push(Buffer.from(chunk), () => undefined);
          const now = live.outputSoFar?.() ?? 0;
          expect(now).toBeGreaterThanOrEqual(last);
          last = now;
        }
        const cut = live.finish(false, () => undefined);
        // A stream that reached its end with its usage is billed by that usage, not by its text. Cut between
        // events, the two agree; cut inside one, the cut stream's count also reads what that event's part holds.
        if (cut.outputEstimate === undefined && last > 0) return;
        if (prefix.subarray(-2).toString() === '\n\n' || prefix.length === 0) expect(last).toBe(cut.outputEstimate ?? 0);
        else expect(last).toBeLessThanOrEqual(cut.outputEstimate ?? 0);
      }),
      { numRuns: 200 },
    );
    // Cut at each event's end, the count so far is what the cut stream is billed.
    for (let end = body.indexOf('\n\n'); end >= 0; end = body.indexOf('\n\n', end + 2)) {
      const live = tap();
      live.push(Buffer.from(body.subarray(0, end + 2)), () => undefined);
      const soFar = live.outputSoFar?.();
      const cut = live.finish(false, () => undefined).outputEstimate;
      if (cut !== undefined) expect(soFar).toBe(cut);
    }
    const whole = tap();
    whole.push(Buffer.from(body), () => undefined);
    expect(whole.outputSoFar?.()).toBeGreaterThan(0);
  });
});
