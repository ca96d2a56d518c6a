import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixtures, runTap, splitAt } from '../testing/tap-runner.js';
import type { RouteMatch, TapContext } from '../types.js';
import { geminiAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const generate = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.6-flash:generateContent')!;
const stream = geminiAdapter.matchRoute('POST', '/v1beta/models/gemini-3.7-pro:streamGenerateContent')!;
const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'm' };
const json: TapContext = { ...sse, contentType: 'application/json' };

const cases: { file: string; route: RouteMatch; ctx: TapContext }[] = [
  { file: 'stream.sse', route: stream, ctx: sse },
  { file: 'stream-error.sse', route: stream, ctx: sse },
  // Two candidates, the first finishing before the second: with the count asked for, and without.
  { file: 'stream-candidates.sse', route: stream, ctx: { ...sse, choices: 2 } },
  { file: 'stream-candidates.sse', route: stream, ctx: sse },
  { file: 'stream-array.json', route: stream, ctx: json },
  { file: 'stream-array-error.json', route: stream, ctx: json },
  { file: 'generate.json', route: generate, ctx: { ...json, stream: false } },
  { file: 'error-quota.json', route: generate, ctx: { ...json, stream: false, status: 429 } },
];

describe('Gemini taps: chunking does not matter', () => {
  it('gives the same Metered and forwards the exact bytes however the upstream bytes are split', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (c, truncateAt, cuts) => {
          const full = fixture(c.file);
          const complete = truncateAt === undefined;
          const input = complete ? full : full.subarray(0, truncateAt % (full.length + 1));
          const whole = runTap(geminiAdapter.createTap(c.route, c.ctx), [input], complete);
          const split = runTap(geminiAdapter.createTap(c.route, c.ctx), splitAt(input, cuts), complete);
          expect(split.metered).toEqual(whole.metered);
          expect(split.bytes.equals(input)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
