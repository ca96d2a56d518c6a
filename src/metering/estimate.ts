import { CHARS_PER_TOKEN, tokensOfChars } from '../core/usage.js';
import { mediaItem } from './media/media.js';
import { mediaTokens } from './media/media-tokens.js';

/**
 * A conservative estimate of a request's input tokens, for rows whose stream died before
 * the provider reported usage. About four characters make a token in English text and
 * code; counting every string in the body (roles, tool schemas) errs on the high side,
 * which is the safe side for spend. Images and PDFs are counted by their provider's rules
 * for `model` (media/media-tokens.ts, typical), not by their base64. Rows built from it say `estimated`.
 */
export function estimateInputTokens(body: unknown, stopAbove = Infinity, model = ''): number {
  // `stopAbove`: callers that only compare with a bound (routing rules) stop counting past it.
  const stopChars = stopAbove * CHARS_PER_TOKEN;
  let chars = 0;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      chars += v.length;
      if (chars > stopChars) break;
    }
    else if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (v !== null && typeof v === 'object') {
      const media = mediaItem(v as Record<string, unknown>);
      if (media) chars += CHARS_PER_TOKEN * mediaTokens(media, model, 'typical');
      else stack.push(...Object.values(v as Record<string, unknown>));
    }
  }
  return tokensOfChars(chars);
}
