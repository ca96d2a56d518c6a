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

/**
 * Whether the request asks for a stream. Only `true` and `false` (or no `stream`) are taken: a
 * lenient server (vLLM and other OpenAI-compatible ones) streams for `1` or `"true"`, which the
 * gateway would meter as a plain answer, without the usage it asks streams for.
 */
export function streamFlag(body: JsonObject, api: Api): boolean {
  const v = body.stream;
  if (v === undefined || v === null || typeof v === 'boolean') return v === true;
  throw new GatewayError('invalid_request', `The ${api} request body's "stream" must be true or false, not ${JSON.stringify(v)}.`);
}

/** A token cap when it is a non-negative number; anything else is left for the upstream to reject. */
export function optionalCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * How many answers a request asks for (OpenAI `n` and `best_of`, Gemini `candidateCount`): every
 * one is billed, so the most of the values given, read never below what an upstream could make
 * of them. The request is forwarded as it is. A number, or a numeric string (Gemini's proto JSON
 * reads `"8"` as 8, as do lenient OpenAI-compatible servers), rounds up: 2.5 is 3. Below 1 is 1,
 * the default. Past 2^53 − 1 (`1e400` parses as Infinity) is 2^53 − 1, which no budget can pay
 * for. Anything else (`true`, `"eight"`, an object) is 1: no server reads a count from it, and
 * OpenAI and Gemini refuse it with a 400, billing nothing.
 */
export function choiceCount(...values: unknown[]): number {
  let most = 1;
  for (const v of values) {
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (x > most) most = Math.min(Math.ceil(x), Number.MAX_SAFE_INTEGER);
  }
  return most;
}
