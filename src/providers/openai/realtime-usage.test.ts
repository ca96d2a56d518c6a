import { describe, expect, it } from 'vitest';
import { realtimeUsage } from './realtime-usage.js';

describe('realtimeUsage', () => {
  it('maps a response.done usage: cached within input, the audio parts apart', () => {
    const u = realtimeUsage({
      total_tokens: 1900,
      input_tokens: 1500,
      output_tokens: 400,
      input_token_details: { text_tokens: 700, audio_tokens: 800, image_tokens: 0, cached_tokens: 500, cached_tokens_details: { text_tokens: 300, audio_tokens: 200, image_tokens: 0 } },
      output_token_details: { text_tokens: 100, audio_tokens: 300 },
    });
    expect(u).toMatchObject({ inputTokens: 1500, cacheReadTokens: 500, outputTokens: 400, cacheWriteTokens: 0, audio: { input: 800, cacheRead: 200, output: 300 } });
    expect(u.imageInput).toBeUndefined();
  });

  it('text only has no audio part; image input is kept; nothing at all is zero', () => {
    expect(realtimeUsage({ input_tokens: 10, output_tokens: 5, input_token_details: { text_tokens: 10 } }).audio).toBeUndefined();
    expect(realtimeUsage({ input_tokens: 900, output_tokens: 5, input_token_details: { image_tokens: 850 } }).imageInput).toBe(850);
    expect(realtimeUsage(null)).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    // A cached count past the input is held to it.
    expect(realtimeUsage({ input_tokens: 10, input_token_details: { cached_tokens: 50 } }).cacheReadTokens).toBe(10);
  });
});
