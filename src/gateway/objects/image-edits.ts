import { asArray, asObject } from '../../providers/shared/json.js';
import type { RouteMatch } from '../../providers/types.js';

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
