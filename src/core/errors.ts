import type { Outcome } from './api.js';

/**
 * Stable error codes. Clients and docs/errors.md match on these, never on messages.
 * Each code has one HTTP status and the outcome its ledger row records.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, outcome: 'rejected' },
  invalid_request: { status: 400, outcome: 'rejected' },
  missing_api_key: { status: 401, outcome: 'rejected' },
  invalid_api_key: { status: 401, outcome: 'rejected' },
  revoked_api_key: { status: 401, outcome: 'rejected' },
  expired_api_key: { status: 401, outcome: 'rejected' },
  passthrough_forbidden: { status: 401, outcome: 'rejected' },
  provider_key_missing: { status: 401, outcome: 'rejected' },
  unknown_route: { status: 404, outcome: 'rejected' },
  unknown_provider: { status: 404, outcome: 'rejected' },
  object_not_owned: { status: 404, outcome: 'rejected' },
  no_provider: { status: 400, outcome: 'rejected' },
  not_translatable: { status: 400, outcome: 'rejected' },
  method_not_allowed: { status: 405, outcome: 'rejected' },
  http_required: { status: 426, outcome: 'rejected' },
  body_too_large: { status: 413, outcome: 'rejected' },
  request_timeout: { status: 408, outcome: 'rejected' },
  bad_http_request: { status: 400, outcome: 'rejected' },
  unsupported_encoding: { status: 415, outcome: 'rejected' },
  budget_exceeded: { status: 402, outcome: 'rejected' },
  model_not_allowed: { status: 403, outcome: 'rejected' },
  rate_limited: { status: 429, outcome: 'rejected' },
  too_many_auth_failures: { status: 429, outcome: 'rejected' },
  capacity_exhausted: { status: 429, outcome: 'upstream_error' },
  budget_unavailable: { status: 503, outcome: 'rejected' },
  gateway_busy: { status: 503, outcome: 'rejected' },
  storage_unavailable: { status: 503, outcome: 'gateway_error' },
  upstream_unreachable: { status: 502, outcome: 'upstream_error' },
  upstream_disconnected: { status: 502, outcome: 'truncated' },
  upstream_timeout: { status: 504, outcome: 'upstream_error' },
  internal: { status: 500, outcome: 'gateway_error' },
} as const satisfies Record<string, { status: number; outcome: Outcome }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * How one client must be answered where it misreads the standard answer: another status,
 * the error's type in its body, more fields beside it (src/gateway/client-errors.ts).
 */
export interface ErrorShape {
  status: number;
  type?: string;
  fields?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type the gateway raises. `expose` says whether `message` may be shown
 * to the client as is; internal errors are replaced by a generic message.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  /** Extra headers the response must carry (for example `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Structured facts for the client (scope, window, reset, remedy), added to the error body as `tollgate`. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Set where a client must see this error another way than its code's (then `status` is the shape's). */
  readonly shape: ErrorShape | undefined;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; expose?: boolean; headers?: Readonly<Record<string, string>>; details?: Readonly<Record<string, unknown>>; shape?: ErrorShape } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = opts.shape?.status ?? ERROR_CODES[code].status;
    this.expose = opts.expose ?? code !== 'internal';
    this.headers = opts.headers ?? {};
    this.details = opts.details;
    this.shape = opts.shape;
  }

  /** The same error, answered in `shape`; its row keeps its code and outcome, and records the status sent. */
  reshaped(shape: ErrorShape): GatewayError {
    return new GatewayError(this.code, this.message, { cause: this.cause, expose: this.expose, headers: this.headers, details: this.details, shape });
  }

  get outcome(): Outcome {
    return ERROR_CODES[this.code].outcome;
  }

  /** The message a client may see. */
  get publicMessage(): string {
    return this.expose ? this.message : 'Tollgate hit an internal error; the request id identifies it in the gateway log.';
  }
}

/** Wraps anything thrown into a GatewayError without losing the original. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError('internal', message, { cause: err, expose: false });
}

/**
 * A problem with the set-up, not a bug: a bad config, a ledger or folder that cannot be
 * opened. Its message is complete in itself, so the CLI prints it as one line, without a stack.
 */
export class SetupError extends Error {}

/** Storage cannot take or give rows now (down, locked, full): the caller may retry; not a bug. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/**
 * Why a request made with fetch failed: fetch's own message is "fetch failed", and the
 * useful part (ECONNREFUSED, ENOTFOUND, a TLS problem…) is in its `cause`.
 */
export function fetchFailureReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return errorMessage(err);
}

/** An error's message, or what was thrown when it is not an Error. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An error's `code` (an errno, SQLite's result code, a SQLSTATE), when it has a string one. */
export function errorCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
