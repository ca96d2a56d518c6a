import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Api } from '../../core/api.js';
import { fixtures, runTap, splitAt, splitBetweenEvents } from '../testing/tap-runner.js';
import type { TapContext } from '../types.js';
import { anthropicAdapter } from './adapter.js';

const fixture = fixtures(import.meta.url);
const sse: TapContext = { status: 200, contentType: 'text/event-stream', stream: true, injectedStreamUsage: false, requestedModel: 'm' };
const json: TapContext = { ...sse, contentType: 'application/json', stream: false };

const cases: { file: string; api: Api; ctx: TapContext }[] = [
  { file: 'message-stream.sse', api: 'anthropic.messages', ctx: sse },
  { file: 'message-stream-server-tools.sse', api: 'anthropic.messages', ctx: sse },
  { file: 'message-stream-overloaded.sse', api: 'anthropic.messages', ctx: sse },
  { file: 'message.json', api: 'anthropic.messages', ctx: json },
  { file: 'count-tokens.json', api: 'anthropic.count_tokens', ctx: json },
  { file: 'error-rate-limit.json', api: 'anthropic.messages', ctx: { ...json, status: 429 } },
];

describe('Anthropic taps: chunking does not matter', () => {
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
          const route = { api: c.api, dialect: 'anthropic', method: 'POST' } as const;
          const whole = runTap(anthropicAdapter.createTap(route, c.ctx), [input], complete);
          const split = runTap(anthropicAdapter.createTap(route, c.ctx), splitAt(input, cuts), complete);
          expect(split.metered).toEqual(whole.metered);
          expect(split.bytes.equals(input)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('chunks of whole events (how upstreams write) give the same Metered as one chunk', () => {
    const streams = cases.filter((c) => c.file.endsWith('.sse'));
    fc.assert(
      fc.property(fc.constantFrom(...streams), fc.array(fc.nat(), { maxLength: 12 }), (c, picks) => {
        const input = fixture(c.file);
        const route = { api: c.api, dialect: 'anthropic', method: 'POST' } as const;
        const whole = runTap(anthropicAdapter.createTap(route, c.ctx), [input]);
        const split = runTap(anthropicAdapter.createTap(route, c.ctx), splitBetweenEvents(input, picks));
        expect(split.metered).toEqual(whole.metered);
        expect(split.bytes.equals(input)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
