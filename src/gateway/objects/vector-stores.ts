import type { Api } from '../../core/api.js';
import { RESPONSES_REQUEST_APIS, responsesTools } from '../../providers/openai/request-tools.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import type { RouteMatch } from '../../providers/types.js';

/**
 * The vector stores a Responses request searches, by id: each `file_search` tool's
 * `vector_store_ids`, among its `tools` and among the tools its input items give the model
 * (`additional_tools`, and the `tool_search_output` a client's own tool search returns), which it
 * may call all the same. A compaction takes no tools but its input's; a conversation's items are
 * read as such an input. Ids inside an answer passed back (a `file_search_call`'s results) are the
 * provider's record of a search made and are left alone.
 */
export function searchedStores(api: Api, json: unknown): string[] {
  if (!RESPONSES_REQUEST_APIS.has(api)) return [];
  const found = new Set<string>();
  for (const tool of responsesTools(asObject(json))) if (tool.type === 'file_search') for (const id of asArray(tool.vector_store_ids) ?? []) add(id, found);
  return [...found];
}

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
