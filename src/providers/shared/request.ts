import type { Api } from '../../core/api.js';
import { GatewayError } from '../../core/errors.js';
import { type JsonObject, asObject } from './json.js';

/** The parsed body as an object, or a 400 the client can act on. */
export function requireObject(body: unknown, api: Api): JsonObject {
  const obj = asObject(body);
  if (obj === undefined) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    throw new GatewayError('invalid_request', `The ${api} request body must be a JSON object, got ${got}.`);
  }
  return obj;
}

export function requireModel(body: JsonObject, api: Api): string {
  const model = body.model;
  if (typeof model !== 'string' || model.trim() === '') {
    throw new GatewayError('invalid_request', `The ${api} request body needs a "model" string naming the model to call.`);
  }
  return model;
}

/** A token cap when it is a non-negative number; anything else is left for the upstream to reject. */
export function optionalCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
