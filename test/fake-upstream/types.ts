/**
 * Token counts a scenario asks for. Each field is the provider-neutral meaning; the
 * fake maps it onto every dialect:
 *
 * | field          | OpenAI chat / responses                      | Anthropic                              | Gemini                      |
 * |----------------|----------------------------------------------|----------------------------------------|-----------------------------|
 * | `input`        | part of `prompt_tokens` / `input_tokens`     | `input_tokens`                         | part of `promptTokenCount`  |
 * | `cacheRead`    | `cached_tokens` (also inside the prompt)     | `cache_read_input_tokens`              | `cachedContentTokenCount`   |
 * | `cacheWrite5m` | `cache_write_tokens` (`ttl_30m_tokens`)      | `cache_creation.ephemeral_5m_…`        | part of `promptTokenCount`  |
 * | `cacheWrite1h` | `cache_write_tokens` (`ttl_12h_tokens`)      | `cache_creation.ephemeral_1h_…`        | part of `promptTokenCount`  |
 * | `output`       | `completion_tokens` / `output_tokens`        | `output_tokens`                        | `candidates + thoughts`     |
 * | `reasoning`    | `reasoning_tokens` (inside `output`)         | `output_tokens_details.thinking_tokens`| `thoughtsTokenCount`        |
 *
 * So `input` is the uncached part only, and OpenAI's `prompt_tokens` is
 * `input + cacheRead + cacheWrite5m + cacheWrite1h`.
 */
export interface UsageSpec {
  input?: number;
  cacheRead?: number;
  cacheWrite5m?: number;
  cacheWrite1h?: number;
  output?: number;
  reasoning?: number;
  /** The audio parts of `input` (uncached), `cacheRead` and `output`, reported in the token details (OpenAI Chat, Gemini); OpenAI's transcriptions: the recording's tokens, beside `input`'s prompt tokens. */
  audioInput?: number;
  audioCacheRead?: number;
  audioOutput?: number;
  /** OpenAI Images: the image tokens of the input (the pictures given to edit), beside `input`'s text tokens. */
  imageInput?: number;
  /** Server-side web searches run: Anthropic's `server_tool_use.web_search_requests`, a Response's `tool_usage.web_search.num_requests`. */
  webSearches?: number;
  /** A Response's `tool_usage.image_gen`: what its image_generation tool used (image model tokens, billed apart). */
  imageGen?: { textInput: number; imageInput: number; output: number; cached?: number };
  /** Anthropic: the usage's `speed` and `inference_geo` (price modifiers). */
  speed?: 'standard' | 'fast';
  inferenceGeo?: string;
}

export interface ToolCallSpec {
  name?: string;
  arguments?: Record<string, unknown>;
}

/**
 * An error in the provider's own shape. Unset fields take the dialect's default for the
 * status. `type` is OpenAI's `error.type`, Anthropic's `error.type`, or Gemini's
 * `error.status` (for example `RESOURCE_EXHAUSTED`).
 */
export interface ErrorSpec {
  message?: string;
  type?: string;
  /** OpenAI `error.code`. */
  code?: string | null;
  /** OpenAI `error.param`. */
  param?: string | null;
  /** Anthropic `error.details` object, or Gemini `error.details` array. */
  details?: unknown;
}

/** Decides whether a queued scenario applies to a request. A string is an exact pathname. */
export type RequestMatcher = string | RegExp | ((req: RecordedRequest) => boolean);

/**
 * What the fake does for one request. Everything is optional: an empty scenario gives
 * the default, deterministic answer built from the request.
 */
export interface Scenario {
  match?: RequestMatcher;
  /** How many requests this queued scenario answers (default 1). Ignored by `setDefault`. */
  times?: number;

  /** The model reported back, e.g. a dated snapshot. Defaults to the requested model. */
  model?: string;
  /** Response id (`chatcmpl-…`, `resp_…`, `msg_…`, Gemini `responseId`). */
  id?: string;
  /** The conversation a Response says it belongs to (`conversation: {id}`); default: the one its request names, if any. */
  conversation?: string;
  /** Unix seconds for `created` / `created_at`. */
  created?: number;
  /** Visible text. Default: a fixed sentence, or none when tool calls are scripted. */
  text?: string;
  /** Number of text pieces in a stream (default 4 for scripted text, 9 words otherwise). */
  chunks?: number;
  toolCalls?: number | readonly ToolCallSpec[];
  /** Anthropic thinking block / Gemini thought part / OpenAI chat `reasoning_content` text. */
  thinking?: string;
  /** Passed through as `finish_reason` / `stop_reason` / `finishReason`. */
  stopReason?: string;
  usage?: UsageSpec;
  /**
   * Anthropic only: report cache reads and writes as a real prompt cache would, from the
   * request's `cache_control` breakpoints and what earlier requests cached (see prompt-cache.ts).
   * Overrides the input and cache counts of `usage`.
   */
  promptCache?: { minTokens?: number };

  /** HTTP status. 400 and above answers with the dialect's error body (see `error`). */
  status?: number;
  /**
   * OpenAI chat and Responses (HTTP and WebSocket): a body carrying a parameter its model refuses
   * gets the 400 OpenAI gives for it (openai-refusals.ts), not the scenario's answer.
   */
  refuseUnsupported?: boolean;
  error?: ErrorSpec;
  /** Added to, or replacing, the default response headers; `null` removes one. */
  headers?: Readonly<Record<string, string | null>>;
  /** Raw body sent instead of the built one (an object is JSON-encoded). */
  body?: string | Buffer | Record<string, unknown> | readonly unknown[];
  /** Raw stream pieces sent instead of the built ones, one write each. */
  events?: readonly (string | Buffer)[];

  /** Wait before the status line and headers. */
  firstByteDelayMs?: number;
  /** Wait between two body pieces. */
  chunkDelayMs?: number;
  /** Destroy the socket after this many body pieces (0: right after the headers). */
  cutAfterEvents?: number;
  /** Send the dialect's in-stream error event after this many pieces, then end. */
  errorEventAfter?: number;
  /** With `errorEventAfter`: wait this long after the error event before ending (a client may leave first). */
  endAfterErrorMs?: number;
  /** Send this many pieces, then keep the connection open and silent. */
  stallAfterEvents?: number;
  /** Read the request, then never answer. */
  hang?: boolean;
  /** Read the request, then answer once this settles (requests held in flight until a test lets them go). */
  until?: Promise<unknown>;
  /** Read the request, then reset the connection without answering (ECONNRESET at the client). */
  reset?: boolean;
}

/**
 * A rate limit the fake enforces over fixed windows, as providers do: requests and
 * tokens (the request body's bytes / 4, plus `max_tokens` when set) per `windowMs`. Every
 * answer carries the real remaining counts and reset times in the dialect's headers;
 * a request over the limit gets a 429 with `retry-after-ms` and `retry-after`.
 */
export interface RateLimitSpec {
  requests?: number;
  tokens?: number;
  windowMs: number;
}

/**
 * - `pending`: still being answered, hung, or stalled.
 * - `complete`: the whole response was written.
 * - `cut`: the fake destroyed the socket on purpose (`cutAfterEvents`).
 * - `client-aborted`: the client went away before the response was complete.
 */
export type RequestOutcome = 'pending' | 'complete' | 'cut' | 'client-aborted';

export interface RecordedRequest {
  /** 1-based arrival order since start or the last `reset()`. */
  readonly seq: number;
  readonly method: string;
  /** The pathname, without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The query string as it arrived, without the `?`. */
  readonly search: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The parsed body, or undefined when it is empty or not JSON. */
  readonly json: unknown;
  /** Which fake endpoint answered, e.g. `openai.chat`; undefined for an unknown path. */
  readonly route: string | undefined;

  status: number | undefined;
  responseHeaders: Readonly<Record<string, string>>;
  /** The exact body bytes the fake wrote for this request. */
  sent: Buffer;
  outcome: RequestOutcome;
  clientAborted: boolean;
}

/** A request's body as it arrives: to see a body streamed in, or cut off part way. */
export interface Arrival {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Body bytes received so far. */
  bytes: number;
  /** The whole body arrived. */
  ended: boolean;
  /** The connection closed before the whole body arrived. */
  aborted: boolean;
}

export interface StartOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Keep `requests` and `sent` bytes (default true). Benchmarks turn it off so that a long
   * run neither grows memory nor copies bytes.
   */
  record?: boolean;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string; cert: string };
}

export interface WaitOptions {
  /** Default 5000. */
  timeoutMs?: number;
}

export interface FakeUpstream {
  /** Origin, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Every request so far as its body arrives, before it is recorded in `requests` (which waits for the whole body). */
  readonly arrivals: readonly Arrival[];
  /** Queues scenarios for the next matching requests, first in first out. */
  script(...scenarios: Scenario[]): void;
  /** The scenario used when no queued one matches. */
  setDefault(scenario: Scenario): void;
  /** How many queued scenarios have not been used yet. */
  pendingScenarios(): number;
  /** Drops recorded requests, queued scenarios and the default scenario. */
  reset(): void;
  /** Enforces a rate limit from now on (undefined turns it off). `limited` counts the 429s it sent. */
  setRateLimit(spec: RateLimitSpec | undefined): void;
  readonly limited: number;
  /** Resolves once at least `count` requests have finished (completed, cut or aborted). */
  waitForRequests(count: number, opts?: WaitOptions): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}
