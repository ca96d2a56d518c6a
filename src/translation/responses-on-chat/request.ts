import type { JsonObject } from '../../providers/shared/json.js';

/**
 * The request for `/v1/responses`: the client's body as it is, less `stream_options`, whose
 * chat-only `include_usage` the Responses API refuses (the answer carries usage anyway).
 */
export function toResponsesRequest(body: JsonObject): JsonObject {
  const { stream_options: _chatOnly, ...rest } = body;
  return rest;
}
