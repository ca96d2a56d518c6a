import { type Usage, tokens as count, zeroUsage } from '../../core/usage.js';
import { dig } from '../shared/json.js';

/**
 * A Realtime response's `usage` (its `response.done` event): input includes the cached tokens,
 * and the audio parts of input, cached input and output are priced at the model's audio rates.
 */
export function realtimeUsage(usage: unknown): Usage {
  const input = dig(usage, 'input_token_details');
  const u = zeroUsage();
  u.inputTokens = count(dig(usage, 'input_tokens'));
  u.cacheReadTokens = Math.min(u.inputTokens, count(dig(input, 'cached_tokens')));
  u.outputTokens = count(dig(usage, 'output_tokens'));
  const audio = { input: count(dig(input, 'audio_tokens')), cacheRead: count(dig(input, 'cached_tokens_details', 'audio_tokens')), output: count(dig(usage, 'output_token_details', 'audio_tokens')) };
  if (audio.input + audio.cacheRead + audio.output > 0) u.audio = audio;
  const images = count(dig(input, 'image_tokens'));
  if (images > 0) u.imageInput = images;
  return u;
}
