import { boundaryOf } from '../providers/shared/form-fields.js';
import type { HeaderBag, RouteMatch } from '../providers/types.js';

/**
 * The route as its body is sent. An image edit is a form, forwarded unread but for its fields, or
 * JSON naming its images by `file_id` or URL (OpenAI's `EditImageBodyJsonParam`): sent as JSON, it
 * is read as the JSON request it is, so its model is metered, priced and open to model policy, and
 * the files it names are checked, as a generation's body is. Until 2026-12-08 it was forwarded
 * unread and recorded with no model.
 */
export function routeForBody(route: RouteMatch, headers: HeaderBag): RouteMatch {
  if (!route.rawBody || route.api !== 'openai.images' || boundaryOf(headers['content-type']) !== undefined) return route;
  return { ...route, rawBody: false };
}
