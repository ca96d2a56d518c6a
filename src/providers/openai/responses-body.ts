import { zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, asText } from '../shared/json.js';
import { sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { responsesUsage } from './usage.js';

export const FAILED = { type: 'response_failed', message: 'The response failed.' };

const TOOL_CALL_ITEMS = new Set(['function_call', 'custom_tool_call']);

export function isToolCallItem(item: unknown): boolean {
  const type = asObject(item)?.type;
  return typeof type === 'string' && TOOL_CALL_ITEMS.has(type);
}

/** Function and custom tool calls among a Response's output items. */
export function countResponseToolCalls(response: JsonObject): number {
  return asArray(response.output)?.filter(isToolCallItem).length ?? 0;
}

/** A non-stream Response object (protocols.md §1.7); `status: "failed"` carries its error. */
export function readResponseBody(body: JsonObject, complete: boolean): Metered {
  const usage = asObject(body.usage);
  const error = errorFromValue(body) ?? (body.status === 'failed' ? FAILED : undefined);
  const m: Metered = {
    usage: withToolCalls(usage === undefined ? zeroUsage() : responsesUsage(usage, body.tool_usage, body.tools), countResponseToolCalls(body)),
    usageSource: sourceOf(usage !== undefined, true),
    servedModel: asText(body.model),
    error,
    sawEnd: complete,
  };
  if (usage === undefined && (body.status === 'queued' || body.status === 'in_progress')) m.pending = true;
  if (body.background === true) m.background = true;
  // A Response's input items, listed (`GET /v1/responses/{id}/input_items`), are its items too.
  namedItems(m, asArray(body.object === 'list' ? body.data : body.output));
  withConversation(m, body);
  return withResponseId(withTier(m, asText(body.service_tier)), asText(body.id));
}

/** A Response item's id, and the container a code interpreter or shell call of it ran in. */
export function readItem(item: unknown, items: Set<string>, containers: Set<string>): void {
  const it = asObject(item);
  if (it === undefined) return;
  const id = asText(it.id);
  if (id !== undefined) items.add(id);
  const env = asObject(it.environment);
  const container = it.type === 'code_interpreter_call' ? asText(it.container_id) : env?.type === 'container_reference' ? asText(env.container_id) : undefined;
  if (container !== undefined) containers.add(container);
}

/** Sets `m.conversations` from a Response's `conversation: {id}`, if it names one. */
export function withConversation(m: Metered, response: JsonObject | undefined): void {
  const id = asText(asObject(response?.conversation)?.id);
  if (id !== undefined) m.conversations = [id];
}

/** Sets `m.items` and `m.containers` from what is in `list`, those it has. */
export function namedItems(m: Metered, list: readonly unknown[] | undefined, items = new Set<string>(), containers = new Set<string>()): void {
  for (const item of list ?? []) readItem(item, items, containers);
  if (items.size > 0) m.items = [...items];
  if (containers.size > 0) m.containers = [...containers];
}
