import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asObject, dig } from '../shared/json.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { UsageAtEndReader, meteredOrUnpriced } from './usage-at-end.js';

/**
 * The Images API's `usage` (generations and edits with the GPT image models; DALL·E reports
 * none): input tokens, their image part (the pictures given to edit), and the image tokens made.
 * The answer names no model: the row keeps the one asked for.
 */
export function imagesUsage(usage: unknown): Usage {
  const u = zeroUsage();
  u.inputTokens = tokens(dig(usage, 'input_tokens'));
  u.outputTokens = tokens(dig(usage, 'output_tokens'));
  const image = Math.min(u.inputTokens, tokens(dig(usage, 'input_tokens_details', 'image_tokens')));
  if (image > 0) u.imageInput = image;
  return u;
}

/** A non-stream Images answer: `{created, data: [...], usage?}`. */
export function readImagesBody(body: JsonObject, complete: boolean): Metered {
  const usage = asObject(body.usage);
  return meteredOrUnpriced(usage && imagesUsage(usage), complete, errorFromValue(body));
}

/** An Images stream (`stream: true`, with `partial_images`): the usage is in its completed event. */
export function imagesStreamReader(): UsageAtEndReader {
  return new UsageAtEndReader(new Set(['image_generation.completed', 'image_edit.completed']), ['event: image_generation.partial_image\n', 'event: image_edit.partial_image\n'], imagesUsage);
}
