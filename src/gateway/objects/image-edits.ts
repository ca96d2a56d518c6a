import { asArray, asObject } from '../../providers/shared/json.js';
import { boundaryOf } from '../../providers/shared/form-fields.js';
import type { HeaderBag, RouteMatch } from '../../providers/types.js';
import { decodeContent } from '../content-encoding.js';
import { encodingError } from '../request-errors.js';
import type { ObjectOwners } from './owners.js';

/**
 * The uploaded files an image edit sent as JSON names: OpenAI's `EditImageBodyJsonParam` takes its
 * images as `images: [{file_id} | {image_url}]` and its mask as `mask: {file_id} | {image_url}`
 * (openai/openai-openapi, `ImageRefParam`). A generation's body has neither; a form's are uploads.
 */
export function imageEditFiles(route: RouteMatch, json: unknown): string[] {
  if (route.api !== 'openai.images' || route.method !== 'POST') return [];
  const body = asObject(json);
  const refs = [...(asArray(body?.images) ?? []), body?.mask];
  const ids = refs.map((r) => asObject(r)?.file_id).filter((id): id is string => typeof id === 'string' && id !== '');
  return [...new Set(ids)];
}

/**
 * The JSON of a body the gateway forwards unread (a `rawBody` route), for the stored objects it
 * names: an image edit sent as JSON rather than as a form. Decoded as the API routes decode theirs
 * (a coding it cannot read is refused: what it names could not be checked); undefined for a form,
 * any other route, bytes that are no JSON object (the provider refuses those itself), or where
 * stored objects are shared (nothing is checked).
 */
export function unreadBodyJson(objects: Pick<ObjectOwners, 'mode'>, route: RouteMatch, raw: Buffer | undefined, headers: HeaderBag, maxBytes: number): unknown {
  if (objects.mode === 'shared' || route.api !== 'openai.images' || raw === undefined || boundaryOf(headers['content-type']) !== undefined) return undefined;
  let text: string;
  try {
    text = decodeContent(raw, headers['content-encoding'], maxBytes).toString('utf8');
  } catch (err) {
    throw encodingError(err);
  }
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
