import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { runTap, splitAt } from '../testing/tap-runner.js';
import type { TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';
import { audioUsage } from './audio.js';
import { inspectOpenaiRequest } from './request.js';
import { lookupOpenaiRoute } from './routes.js';

const route = { api: 'openai.audio' as const, dialect: 'openai' as const, method: 'POST' as const };
const ctx = (contentType: string, stream = false, status = 200): TapContext => ({ status, contentType, stream, injectedStreamUsage: false, requestedModel: 'gpt-4o-transcribe' });
const tokensUsage = { type: 'tokens', input_tokens: 962, input_token_details: { text_tokens: 12, audio_tokens: 950 }, output_tokens: 11, total_tokens: 973 };

describe('OpenAI Audio answers', () => {
  it('maps token usage: the recording as audio input (all of the input when unsplit), speech’s output as audio; a duration counts none', () => {
    expect(audioUsage(tokensUsage, false)).toEqual({ ...zeroUsage(), inputTokens: 962, outputTokens: 11, audio: { input: 950, cacheRead: 0, output: 0 } });
    expect(audioUsage({ type: 'tokens', input_tokens: 40, output_tokens: 3 }, false)?.audio).toEqual({ input: 40, cacheRead: 0, output: 0 });
    expect(audioUsage({ input_tokens: 12, output_tokens: 11, total_tokens: 23 }, true)).toEqual({ ...zeroUsage(), inputTokens: 12, outputTokens: 11, audio: { input: 0, cacheRead: 0, output: 11 } });
    expect(audioUsage({ type: 'duration', seconds: 7 }, false)).toBeUndefined();
  });

  it('reads a JSON transcript’s usage; Whisper’s duration, a text transcript and speech’s bytes are billed without usage', () => {
    const json = Buffer.from(JSON.stringify({ text: 'hi', usage: tokensUsage }));
    expect(runTap(openaiAdapter.createTap(route, ctx('application/json')), [json]).metered).toMatchObject({ usage: { inputTokens: 962 }, usageSource: 'final' });
    expect(runTap(openaiAdapter.createTap(route, ctx('application/json')), [json]).metered.billedWithoutUsage).toBeUndefined();
    const whisper = Buffer.from(JSON.stringify({ text: 'hi', usage: { type: 'duration', seconds: 7 } }));
    expect(runTap(openaiAdapter.createTap(route, ctx('application/json')), [whisper]).metered).toMatchObject({ usage: zeroUsage(), usageSource: 'none', billedWithoutUsage: true });
    for (const [type, bytes] of [['text/plain; charset=utf-8', 'hi\n'], ['audio/mpeg', 'ID3\u0004audio']] as const) {
      const run = runTap(openaiAdapter.createTap(route, ctx(type)), [Buffer.from(bytes, 'latin1')]);
      expect(run.bytes.toString('latin1')).toBe(bytes);
      expect(run.metered).toMatchObject({ usageSource: 'none', billedWithoutUsage: true });
    }
    // Cut short, or refused: nothing was made.
    expect(runTap(openaiAdapter.createTap(route, ctx('audio/mpeg')), [Buffer.from('ID3')], false).metered.billedWithoutUsage).toBeUndefined();
    expect(runTap(openaiAdapter.createTap(route, ctx('application/json', false, 400)), [Buffer.from('{"error":{"message":"bad","type":"invalid_request_error"}}')]).metered.billedWithoutUsage).toBeUndefined();
  });

  it('reads a transcription stream’s done event however its bytes are split', () => {
    const event = (type: string, rest: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...rest })}\n\n`;
    const stream = Buffer.from(['The', ' quick', ' fox'].map((delta) => event('transcript.text.delta', { delta })).join('') + event('transcript.text.done', { text: 'The quick fox', usage: tokensUsage }));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 10 }), (cuts) => {
        const run = runTap(openaiAdapter.createTap(route, ctx('text/event-stream', true)), splitAt(stream, cuts));
        expect(run.bytes.equals(stream)).toBe(true);
        expect(run.metered).toMatchObject({ usage: { inputTokens: 962, outputTokens: 11 }, usageSource: 'final', sawEnd: true });
      }),
    );
  });

  it('routes the three endpoints, and reads speech’s model and its SSE stream format', () => {
    for (const path of ['/v1/audio/transcriptions', '/v1/audio/translations', '/v1/audio/speech']) {
      const found = lookupOpenaiRoute('POST', path);
      expect(found.kind === 'match' && found.route).toMatchObject({ api: 'openai.audio', ...(path.endsWith('speech') ? {} : { rawBody: true }) });
    }
    expect(inspectOpenaiRequest(route, { model: 'gpt-4o-mini-tts', input: 'hi', voice: 'alloy', stream_format: 'sse' })).toEqual({ model: 'gpt-4o-mini-tts', stream: true });
    expect(inspectOpenaiRequest(route, { model: 'tts-1', input: 'hi', voice: 'alloy' })).toEqual({ model: 'tts-1', stream: false });
  });
});
