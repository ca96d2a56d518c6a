import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asObject, dig, parseJson, peekType } from '../shared/json.js';
import { sourceOf } from '../shared/metered.js';
import { type StreamReader, everyEventOpensWith } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';

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
  return imagesMetered(asObject(body.usage), complete, errorFromValue(body));
}

/** Without usage (DALL·E, billed by the image) the images made are billed all the same: the row is unpriced, not free. */
function imagesMetered(usage: unknown, sawEnd: boolean, error: UpstreamErrorInfo | undefined): Metered {
  const m: Metered = { usage: usage === undefined ? zeroUsage() : imagesUsage(usage), usageSource: sourceOf(usage !== undefined, sawEnd), servedModel: undefined, error, sawEnd };
  if (usage === undefined && sawEnd && error === undefined) m.billedWithoutUsage = true;
  return m;
}

const COMPLETED = new Set(['image_generation.completed', 'image_edit.completed']);
/** The partial images: most of a stream's bytes (base64), and nothing metered. */
const PARTIAL_EVENTS = ['event: image_generation.partial_image\n', 'event: image_edit.partial_image\n'];

/**
 * Reads an Images stream (`stream: true`, with `partial_images`): the usage is in the
 * `image_generation.completed` (or `image_edit.completed`) event; the last one seen wins.
 */
export class ImagesStreamReader implements StreamReader {
  private usage: unknown;
  private ended = false;
  private error: UpstreamErrorInfo | undefined;

  onEvent(event: SseEvent): void {
    const type = event.event ?? peekType(event.data);
    if (type !== undefined && COMPLETED.has(type)) {
      this.ended = true;
      const usage = asObject(asObject(parseJson(event.data))?.usage);
      if (usage !== undefined) this.usage = usage;
    } else if (type === 'error') this.error = errorFromValue(parseJson(event.data)) ?? { type: 'error', message: event.data };
  }

  ignorable(text: string): boolean {
    return everyEventOpensWith(text, PARTIAL_EVENTS);
  }

  result(): Metered {
    return imagesMetered(this.usage, this.ended, this.error);
  }
}
