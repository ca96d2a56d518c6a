import { type JsonObject, asArray, asObject, asText } from '../providers/shared/json.js';
import type { RouteMatch } from '../providers/types.js';

function add(id: unknown, found: Set<string>): void {
  const text = asText(id);
  if (text !== undefined) found.add(text);
}

/**
 * The uploaded files a request puts into a vector store: `file_ids` of a vector store's creation,
 * `file_id` of a vector store file's, `file_ids` and each `files[].file_id` of a file batch's. A
 * file named in a path below a store (`/v1/vector_stores/{id}/files/{file_id}`) is one the store
 * holds already, reached through the store, whose owner is checked.
 */
export function storedFiles(route: RouteMatch, json: unknown): string[] {
  if (route.method !== 'POST') return [];
  const store = route.api === 'openai.vector_stores' && route.resourceId === undefined;
  if (!store && route.api !== 'openai.vector_store_files') return [];
  const body: JsonObject | undefined = asObject(json);
  const found = new Set<string>();
  for (const id of asArray(body?.file_ids) ?? []) add(id, found);
  if (!store) {
    add(body?.file_id, found);
    for (const f of asArray(body?.files) ?? []) add(asObject(f)?.file_id, found);
  }
  return [...found];
}
