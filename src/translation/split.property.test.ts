import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '../providers/testing/tap-runner.js';
import { TO_ANTHROPIC, TO_OPENAI, plan, providerFixture, translateChunks } from './testing.js';

const cases = [
  { client: 'anthropic.messages', upstream: 'openai', file: 'chat-stream-usage.sse' },
  { client: 'anthropic.messages', upstream: 'openai', file: 'chat-stream.sse' },
  { client: 'anthropic.messages', upstream: 'openai', file: 'chat-stream-gemini-compat.sse' },
  { client: 'anthropic.messages', upstream: 'openai', file: 'chat-stream-error.sse' },
  { client: 'openai.chat', upstream: 'anthropic', file: 'message-stream.sse' },
  { client: 'openai.chat', upstream: 'anthropic', file: 'message-stream-overloaded.sse' },
  { client: 'openai.chat', upstream: 'anthropic', file: 'message-stream-server-tools.sse' },
  { client: 'openai.chat', upstream: 'openai', file: 'responses-stream.sse' },
  { client: 'openai.chat', upstream: 'openai', file: 'responses-stream-failed.sse' },
] as const;

const request = (client: 'anthropic.messages' | 'openai.chat', upstream: 'openai' | 'anthropic') =>
  client === 'anthropic.messages'
    ? { model: 'q', max_tokens: 10, stream: true, messages: [] }
    : upstream === 'openai'
      ? // A Responses request sent to chat completions (Cursor's), served by the Responses API.
        { model: 'gpt-5.6', stream: true, stream_options: { include_usage: true }, input: [{ role: 'user', content: 'hi' }] }
      : { model: 'c', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] };
const target = (c: (typeof cases)[number]) => (c.upstream === 'openai' ? TO_OPENAI : TO_ANTHROPIC);

describe('chunking does not change the translated stream', () => {
  for (const c of cases) {
    it(`${c.file} → ${c.client}`, () => {
      const bytes = providerFixture(c.upstream, c.file);
      const whole = translateChunks(plan(c.client, request(c.client, c.upstream), target(c)), [bytes], { contentType: 'text/event-stream', stream: true });
      fc.assert(
        fc.property(fc.array(fc.nat({ max: bytes.length }), { maxLength: 40 }), (cuts) => {
          const split = translateChunks(plan(c.client, request(c.client, c.upstream), target(c)), splitAt(bytes, cuts), { contentType: 'text/event-stream', stream: true });
          expect(split.text).toBe(whole.text);
          expect(split.metered).toEqual(whole.metered);
        }),
        { numRuns: 150 },
      );
    });
  }
});
