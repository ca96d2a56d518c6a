import type { RequestOverrides } from '../providers/shared/overrides.js';
import { applyOverrides } from '../providers/shared/overrides.js';
import { withFormModel } from '../providers/shared/form-model.js';
import type { RouteMatch } from '../providers/types.js';

/** The request body a policy or routing change starts from. */
export interface BodySource {
  route: RouteMatch;
  /** The body parsed, for a JSON request (undefined for a form: it is never parsed as JSON). */
  json: unknown;
  /** The bytes as admitted. */
  raw: Buffer;
  /** The client's content type: a form's boundary. */
  contentType: string | undefined;
  /** `raw` carries `cache: auto` breakpoints that `json` lacks, so a JSON body is re-read from `raw`. */
  cacheEdited?: boolean;
}

/**
 * The body (and path) with a changed model or output cap. A JSON body is re-serialised in its
 * API's terms (applyOverrides). A form (a `rawBody` route: an audio transcription or translation,
 * an image edit or variation) keeps its bytes but for its `model` part's value (withFormModel,
 * which refuses a form without one), and has no output cap to lower: such a form was sent
 * upstream as `{"model": …}` JSON until 2026-12-07.
 */
export function overrideBody(src: BodySource, path: string, o: RequestOverrides): { body: Buffer; path: string } {
  if (src.route.rawBody) return { body: o.model === undefined ? src.raw : withFormModel(src.raw, src.contentType, o.model), path };
  const base: unknown = src.cacheEdited ? JSON.parse(src.raw.toString('utf8')) : src.json;
  return applyOverrides(src.route, base, path, o);
}
