import type { Api } from '../../core/api.js';
import { RESPONSES_REQUEST_APIS, responsesTools } from '../../providers/openai/request-tools.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';

/**
 * The containers a request runs code in again, by id: Anthropic's `container` (an id, or
 * `{id, skills}`), also in a Message Batch's requests; a Responses request's code interpreter tool
 * whose `container` is an id (`cntr_…`) rather than `{type: "auto"}`, and a shell tool whose
 * `environment` is a `container_reference`, among its tools and those its input items add. A container an earlier answer names inside an item passed
 * back (a code interpreter call's `container_id`) is the provider's record of where it ran, as a
 * citation is, and is left alone.
 */
export function namedContainers(api: Api, json: unknown): string[] {
  const body = asObject(json);
  if (body === undefined) return [];
  const found = new Set<string>();
  if (api === 'anthropic.messages' || api === 'anthropic.count_tokens') anthropicContainer(body, found);
  else if (api === 'anthropic.batches') for (const r of asArray(body.requests) ?? []) anthropicContainer(asObject(asObject(r)?.params), found);
  else if (RESPONSES_REQUEST_APIS.has(api)) {
    for (const tool of responsesTools(body)) {
      const env = asObject(tool.environment);
      const id = tool.type === 'code_interpreter' ? asText(tool.container) : tool.type === 'shell' && env?.type === 'container_reference' ? asText(env.container_id) : undefined;
      if (id !== undefined) found.add(id);
    }
  }
  return [...found];
}

function anthropicContainer(params: JsonObject | undefined, found: Set<string>): void {
  const c = params?.container;
  const id = asText(c) ?? asText(asObject(c)?.id);
  if (id !== undefined) found.add(id);
}

/**
 * The stored Responses' items a Responses request's input references: `{type: "item_reference", id}`,
 * or `{id}` alone (its `type` may be left out, and every other input item has a `type` or a `role`).
 * Only the input's own entries: a reference is never nested.
 */
export function referencedItems(api: Api, json: unknown): string[] {
  if (!RESPONSES_REQUEST_APIS.has(api)) return [];
  const found = new Set<string>();
  for (const i of asArray(asObject(json)?.input) ?? []) {
    const item = asObject(i);
    if (item === undefined) continue;
    const reference = item.type === 'item_reference' || ((item.type === undefined || item.type === null) && item.role === undefined);
    const id = reference ? asText(item.id) : undefined;
    if (id !== undefined) found.add(id);
  }
  return [...found];
}
