import type { Api } from '../../core/api.js';
import { type JsonObject, asArray, asObject } from '../shared/json.js';

/** The APIs whose bodies are Responses requests (a response, its compaction, its input token count): their tools and input name stored objects alike. */
export const RESPONSES_REQUEST_APIS: ReadonlySet<Api> = new Set<Api>(['openai.responses', 'openai.compact', 'openai.input_tokens']);

/** The input items that give the model more tools: `additional_tools`, and the `tool_search_output` a client's own tool search returns. */
const TOOL_ITEMS = new Set(['additional_tools', 'tool_search_output']);

/**
 * The tools a Responses request gives the model: its `tools`, and those its input items add, which
 * the model may call all the same. A compaction takes no tools but its input's; a conversation's
 * items, read as an input, may add tools too.
 */
export function responsesTools(body: JsonObject | undefined): JsonObject[] {
  if (body === undefined) return [];
  const out: JsonObject[] = [];
  const take = (list: unknown) => {
    for (const t of asArray(list) ?? []) {
      const tool = asObject(t);
      if (tool !== undefined) out.push(tool);
    }
  };
  take(body.tools);
  for (const i of asArray(body.input) ?? []) {
    const item = asObject(i);
    if (typeof item?.type === 'string' && TOOL_ITEMS.has(item.type)) take(item.tools);
  }
  return out;
}
