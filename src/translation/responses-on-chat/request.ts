import { type JsonObject, asObject } from '../../providers/shared/json.js';

/**
 * A Chat Completions request whose body is a Responses API request: `input` and no
 * `messages`. Cursor's agent sends these to `/v1/chat/completions` when its OpenAI base URL
 * is overridden (a bug on its side, open through 2026), and reads the answer as chat chunks.
 * A real chat request always has `messages`, so the shape is unambiguous.
 */
export function isResponsesShapedChat(body: unknown): boolean {
  const b = asObject(body);
  return b !== undefined && b.messages === undefined && b.input !== undefined;
}

/**
 * The request for `/v1/responses`: the client's body as it is, less `stream_options`, whose
 * chat-only `include_usage` the Responses API refuses (the answer carries usage anyway).
 */
export function toResponsesRequest(body: JsonObject): JsonObject {
  const { stream_options: _chatOnly, ...rest } = body;
  return rest;
}
