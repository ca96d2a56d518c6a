import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../core/usage.js';
import { MAX_BODY_COPY } from '../shared/taps.js';
import { everyNBytes, runTap, splitAt } from '../testing/tap-runner.js';
import type { TapContext } from '../types.js';
import { openaiAdapter } from './adapter.js';

const route = { api: 'openai.images' as const, dialect: 'openai' as const, method: 'POST' as const };
const ctx = (stream: boolean): TapContext => ({ status: 200, contentType: stream ? 'text/event-stream' : 'application/json', stream, injectedStreamUsage: false, requestedModel: 'gpt-image-1' });
const usage = { input_tokens: 373, input_tokens_details: { image_tokens: 323, text_tokens: 50 }, output_tokens: 1056, total_tokens: 1429 };
const mapped = { ...zeroUsage(), inputTokens: 373, imageInput: 323, outputTokens: 1056 };

describe('OpenAI Images answers', () => {
  it('reads a GPT image model’s usage, and a DALL·E answer as billed without usage', () => {
    const gpt = Buffer.from(JSON.stringify({ created: 1, data: [{ b64_json: 'AAAA' }], background: 'opaque', usage }));
    expect(runTap(openaiAdapter.createTap(route, ctx(false)), [gpt]).metered).toEqual({ usage: mapped, usageSource: 'final', servedModel: undefined, error: undefined, sawEnd: true });
    const dalle = Buffer.from(JSON.stringify({ created: 1, data: [{ url: 'https://x/y.png', revised_prompt: 'a lighthouse' }] }));
    expect(runTap(openaiAdapter.createTap(route, ctx(false)), [dalle]).metered).toMatchObject({ usage: zeroUsage(), usageSource: 'none', billedWithoutUsage: true });
  });

  it('reads an answer longer than its tail from the usage that closes it, and one without usage whole', () => {
    const image = 'A'.repeat(2 * 1024 * 1024);
    const gpt = Buffer.from(JSON.stringify({ created: 1, background: 'opaque', data: [{ b64_json: image }], output_format: 'png', size: '1024x1024', usage }));
    expect(runTap(openaiAdapter.createTap(route, ctx(false)), everyNBytes(gpt, 64 * 1024)).metered).toEqual({ usage: mapped, usageSource: 'final', servedModel: undefined, error: undefined, sawEnd: true });
    // The tail alone is read: what comes before it need not even be JSON.
    const junk = Buffer.concat([Buffer.from('{"created":1,"data":[not json '), Buffer.alloc(200 * 1024, 'A'), Buffer.from(`],"usage":${JSON.stringify(usage)}}`)]);
    expect(runTap(openaiAdapter.createTap(route, ctx(false)), [junk]).metered.usage).toEqual(mapped);
    const dalle = Buffer.from(JSON.stringify({ created: 1, data: [{ b64_json: image, revised_prompt: 'a lighthouse' }] }));
    expect(runTap(openaiAdapter.createTap(route, ctx(false)), [dalle]).metered).toMatchObject({ usage: zeroUsage(), usageSource: 'none', billedWithoutUsage: true });
  });

  it('reads the usage that closes a body past the copy cap (many large images)', () => {
    const body = Buffer.concat([Buffer.from('{"created":1,"data":[{"b64_json":"'), Buffer.alloc(MAX_BODY_COPY, 'AAAA'), Buffer.from(`"}],"size":"1024x1024","usage":${JSON.stringify(usage)}}`)]);
    const run = runTap(openaiAdapter.createTap(route, ctx(false)), everyNBytes(body, 1024 * 1024));
    expect(run.bytes.equals(body)).toBe(true);
    expect(run.metered.usage).toEqual(mapped);
  });

  it('reads a stream’s completed event, however its bytes are split, and forwards them unchanged', () => {
    const event = (type: string, rest: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...rest })}\n\n`;
    const stream = Buffer.from(
      event('image_edit.partial_image', { b64_json: 'A'.repeat(3000), partial_image_index: 0 }) +
        event('image_edit.partial_image', { b64_json: 'B'.repeat(3000), partial_image_index: 1 }) +
        event('image_edit.completed', { b64_json: 'C'.repeat(3000), usage }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const run = runTap(openaiAdapter.createTap(route, ctx(true)), splitAt(stream, cuts));
        expect(run.bytes.equals(stream)).toBe(true);
        expect(run.metered).toMatchObject({ usage: mapped, usageSource: 'final', sawEnd: true });
      }),
    );
    // Cut before its completed event: nothing known, and not a finished answer.
    const cut = runTap(openaiAdapter.createTap(route, ctx(true)), [stream.subarray(0, stream.indexOf('event: image_edit.completed'))], false);
    expect(cut.metered).toMatchObject({ usageSource: 'none', sawEnd: false });
    expect(cut.metered.billedWithoutUsage).toBeUndefined();
  });

  it('takes an error event in a stream as the upstream’s error', () => {
    const stream = Buffer.from(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'image_generation_user_error', message: 'Your request was rejected by the safety system.' } })}\n\n`);
    expect(runTap(openaiAdapter.createTap(route, ctx(true)), [stream]).metered.error).toMatchObject({ type: 'image_generation_user_error' });
  });
});
