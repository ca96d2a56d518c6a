import type { UpstreamErrorInfo } from '../types.js';
import { asArray, asObject, asText, parseJson } from './json.js';

/** Longest message kept from an error body that is not JSON (an HTML page from a proxy, say). */
const MAX_TEXT_MESSAGE = 500;

/**
 * Reads an upstream error from any of the shapes seen in the wild:
 * `{"error":{"type"|"status"|"code","message"}}` (OpenAI, Anthropic, Gemini, vLLM),
 * `[{"error":…}]` (Gemini's non-SSE stream), `{"error":"text"}` (Ollama) and
 * `{"detail":"text"}` (FastAPI servers). Undefined when the value holds no error.
 */
export function errorFromValue(value: unknown): UpstreamErrorInfo | undefined {
  const root = asObject(value) ?? asObject(asArray(value)?.[0]);
  if (root === undefined) return undefined;
  const err = root.error;
  if (typeof err === 'string') return { type: 'error', message: err };
  const obj = asObject(err);
  if (obj !== undefined) return describe(obj, root);
  if (root.type === 'error') return describe(root, root);
  const detail = asText(root.detail);
  return detail === undefined ? undefined : { type: 'error', message: detail };
}

/** The error for a non-2xx response body, falling back to the HTTP status. */
export function errorFromBody(text: string | undefined, status: number): UpstreamErrorInfo {
  const fromJson = text === undefined ? undefined : errorFromValue(parseJson(text));
  if (fromJson !== undefined) return fromJson.type === 'error' ? { ...fromJson, type: `http_${status}` } : fromJson;
  const snippet = text?.trim().slice(0, MAX_TEXT_MESSAGE);
  return { type: `http_${status}`, message: snippet === undefined || snippet === '' ? `HTTP ${status}` : snippet };
}

/**
 * The rest of a deployment whose account is out of credit: billing, not time, ends it, so the
 * route's other deployments take its traffic and it is tried again only now and then.
 */
export const NO_QUOTA_REST_MS = 10 * 60_000;

/** The scopes OpenAI's 429 puts in `type` (which limit), where its `code` says what happened (rate_limit_exceeded). */
const LIMIT_SCOPES: ReadonlySet<unknown> = new Set(['requests', 'tokens']);

function describe(err: Record<string, unknown>, root: Record<string, unknown>): UpstreamErrorInfo {
  // `type: "error"` only says it is an error (Anthropic's envelope, Responses' error event).
  const first = LIMIT_SCOPES.has(err.type) ? [err.code, err.type] : [err.type, err.status, err.code];
  const type = [...first, root.code].map(typeText).find((t) => t !== undefined && t !== 'error') ?? 'error';
  const message = asText(err.message) ?? asText(root.message) ?? type;
  const retryAfterMs = retryDelayMs(err.details);
  const info: UpstreamErrorInfo = retryAfterMs === undefined ? { type, message } : { type, message, retryAfterMs };
  if (type === 'insufficient_quota') info.restMs = NO_QUOTA_REST_MS;
  return info;
}

/** Gemini's `details: [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]`, in ms (a protobuf Duration: seconds with an `s`). */
function retryDelayMs(details: unknown): number | undefined {
  for (const d of asArray(details) ?? []) {
    const o = asObject(d);
    if (o === undefined || typeof o['@type'] !== 'string' || !o['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const m = typeof o.retryDelay === 'string' ? /^(\d{1,9}(?:\.\d{1,9})?)s$/.exec(o.retryDelay.trim()) : null;
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  return undefined;
}

function typeText(value: unknown): string | undefined {
  return typeof value === 'number' ? String(value) : asText(value);
}

/**
 * The HTTP status an error event inside a 200 stream stands for: a rate limit 429, the client's
 * own mistake 400 (not the deployment's failing), anything else (overloaded, api or server error) 5xx.
 * Gemini names its errors by their google.rpc code (RESOURCE_EXHAUSTED is its 429, UNAVAILABLE its 503).
 * A failed Response's codes other than `server_error`, `rate_limit_exceeded` and
 * `vector_store_timeout` are its input's (`invalid_prompt`, `bio_policy`, `data_residency_mismatch`,
 * `image_too_large`, `failed_to_download_image` …: the SDK's ResponseError).
 */
export function streamedErrorStatus(type: string | null): number {
  const t = type ?? '';
  if (/rate_limit|quota|resource_exhausted|429/i.test(t)) return 429;
  if (/invalid|not_found|permission|authenticat|failed_precondition|out_of_range|40[0134]|image|policy|residency/i.test(t)) return 400;
  if (/overload|529/i.test(t)) return 529;
  return /unavailable|503/i.test(t) ? 503 : 500;
}
