import type { Api, Dialect } from '../core/api.js';
import type { GatewayError } from '../core/errors.js';
import type { Usage, UsageSource } from '../core/usage.js';

/**
 * The contract every wire dialect implements. The gateway core is dialect-agnostic:
 * it asks the adapter where the route, model, credential and usage are, and never
 * checks a provider's name itself.
 */
export interface DialectAdapter {
  readonly dialect: Dialect;

  /** Recognises one of this dialect's API routes (path without the `/p/{provider}` prefix). */
  matchRoute(method: string, pathname: string): RouteMatch | undefined;

  /**
   * Whether the headers mark the request as this dialect's, for a path two dialects share
   * (`GET /v1/models` is OpenAI's and Anthropic's): Anthropic's SDKs send `anthropic-version`
   * and `x-api-key`, which OpenAI's never do; Gemini's put the key in `x-goog-api-key` or `?key=`
   * (`search`: the query string as sent, without its `?`).
   */
  claims(headers: HeaderBag, search: string): boolean;

  /** Finds the client's credential wherever this dialect's SDKs put it. */
  readCredential(headers: HeaderBag, query: URLSearchParams): Credential | undefined;

  /**
   * Writes the credential the gateway forwards upstream, in the same place the client
   * used (or the dialect's default place when `where` is undefined). Mutates its inputs.
   */
  writeCredential(headers: HeaderBag, query: URLSearchParams, key: string, where: CredentialLocation | undefined): void;

  /**
   * Reads what the gateway needs from a parsed JSON request body. `route.model` (from the
   * path) wins over the body for dialects that put the model in the URL.
   * Throws GatewayError('invalid_request') when the body is not an object.
   */
  inspectRequest(route: RouteMatch, body: unknown): RequestInfo;

  /**
   * Reads what the gateway needs from the text fields of a form (a `rawBody` route's
   * multipart/form-data body, such as OpenAI's image edits), for dialects that have such routes.
   */
  inspectForm?(route: RouteMatch, fields: ReadonlyMap<string, string>): RequestInfo;

  /**
   * Edits the request body only when metering needs it (OpenAI chat streams without
   * `stream_options.include_usage`). Returns undefined to forward the raw bytes unchanged.
   */
  rewriteRequest(route: RouteMatch, info: RequestInfo, raw: Buffer): RequestRewrite | undefined;

  /**
   * Creates the tap that watches (and, only for a rewrite, edits) the upstream response
   * body. `status` and `contentType` are the upstream's.
   */
  createTap(route: RouteMatch, ctx: TapContext): ResponseTap;

  /**
   * The event types a 200 stream of `route` can send before any output (the `event:` name, or the
   * data's `type`): a Responses stream's `response.created`, a Messages stream's `message_start`.
   * A stream held for a retry stays held through them (gateway/held-opening.ts). Absent, or for a
   * route without such events: the first event is output.
   */
  streamPreamble?(route: RouteMatch): ReadonlySet<string> | undefined;

  /** Renders a gateway-made error in this dialect's own error shape. */
  renderError(err: GatewayError, requestId: string): RenderedError;
}

export interface RouteMatch {
  api: Api;
  dialect: Dialect;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Model taken from the path (Gemini), if any. */
  model?: string;
  /** Whether the path alone says the response streams (Gemini `:streamGenerateContent`). */
  streamByPath?: boolean;
  /** True when the route carries no JSON body (GET /v1/models). */
  noBody?: boolean;
  /** A query parameter that, `true`, makes the response a stream (a stored response retrieved with `?stream=true`). */
  streamQuery?: string;
  /** The id of the resource the path names (a batch, a file), URL-decoded. */
  resourceId?: string;
  /** The id of the resource's own object the path names after it (a container's file, a skill's version), URL-decoded. */
  partId?: string;
  /** The body is forwarded as it came, never read as JSON (a file upload, multipart/form-data). */
  rawBody?: boolean;
}

/** Header names lower-case; values as received (repeated headers joined with ", "). */
export type HeaderBag = Record<string, string>;

export type CredentialLocation = 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query-key';

export interface Credential {
  key: string;
  where: CredentialLocation;
}

export interface RequestInfo {
  /** The model the client asked for ("" when the route has none, e.g. GET /v1/models). */
  model: string;
  stream: boolean;
  /** The output cap the client set (max_tokens, max_completion_tokens, max_output_tokens, maxOutputTokens). */
  maxOutputTokens?: number;
  /** The least output cap the API takes (the Responses API refuses a `max_output_tokens` under 16): enforce_max_tokens lowers a cap no further. */
  minOutputTokens?: number;
  /**
   * How many answers the request asks for, each up to `maxOutputTokens` and each billed (OpenAI
   * `n`, a text completion's `best_of`, Gemini `candidateCount`), when more than one.
   */
  choices?: number;
  /** The service tier asked for, where the answer will not name the one served (OpenAI compaction). */
  serviceTier?: string;
  /** Anthropic's price modifiers asked for (`speed: "fast"`, `inference_geo`), for the budget estimate. */
  speed?: string;
  inferenceGeo?: string;
  /**
   * The gateway's own base URL as the client reached it (origin, and `/p/{provider}` when the request
   * had it), for answers that name URLs of the API: a Message Batch's `results_url` is rewritten to it.
   * Set only for such routes; the answer's body then changes (no content-length is passed on).
   */
  gatewayBase?: string;
  /**
   * A form's text bytes (its text fields, not its files): what a budget estimate counts as input
   * rather than the whole body, whose recording or pictures are not text tokens.
   */
  textBytes?: number;
  /**
   * A streamed OpenAI chat or text completion's `stream_options`, read from the parsed body:
   * undefined when the body has none, else whether it asks for usage. The request rewrite
   * decides from it, with no second look at the bytes.
   */
  streamOptions?: { includeUsage: boolean };
  /**
   * Set by the gateway for a streamed Response: called with its id when the stream's first event
   * names it, before the client can ask about it (auth.stored_objects), not only when the stream ends.
   */
  madeObject?: (id: string) => void;
}

export interface RequestRewrite {
  body: Buffer;
  /** The gateway asked upstream for stream usage; the tap must remove what it added. */
  injectedStreamUsage: boolean;
}

export interface TapContext {
  status: number;
  contentType: string | undefined;
  stream: boolean;
  injectedStreamUsage: boolean;
  /** The model the client asked for, used when the response does not name one. */
  requestedModel: string;
  /** See RequestInfo.gatewayBase. */
  gatewayBase?: string;
  /** See RequestInfo.madeObject. */
  madeObject?: (id: string) => void;
  /** See RequestInfo.choices: a stream of several answers ends when every one has. */
  choices?: number;
}

/**
 * Watches the response body as it streams through. `push` is called with each chunk
 * and must call `emit` with the bytes to send to the client: the chunk itself, unmodified,
 * unless the tap is rewriting (then whole events, each either forwarded byte-for-byte,
 * edited, or dropped). It never holds back a complete event. A rewriting tap may edit the
 * chunk's bytes in place: the caller hands over a chunk it will not read again.
 */
export interface ResponseTap {
  push(chunk: Buffer, emit: (bytes: Buffer) => void): void;
  /** The body ended (cleanly, or not when `complete` is false). Emits any held bytes. */
  finish(complete: boolean, emit: (bytes: Buffer) => void): Metered;
  /**
   * The usage read so far, while the body is still coming, where the dialect reports it early
   * (Anthropic's input at `message_start`, Gemini's running totals); undefined before any.
   */
  usageSoFar?(): Usage | undefined;
  /**
   * The output tokens the text streamed so far comes to (Metered.outputEstimate), while the body is
   * still coming: what a row journaled for a crash bills (metering/open-requests.ts); undefined before any.
   */
  outputSoFar?(): number | undefined;
  /** The tap reads nothing of the body (a file's content, speech audio): a compressed one need not be decoded for it. */
  readsNothing?: boolean;
}

/** What the tap learned. */
export interface Metered {
  usage: Usage;
  usageSource: UsageSource;
  /** The model the provider reports serving; undefined if it never said. */
  servedModel: string | undefined;
  /** An error the provider reported: an error body, or an error event inside a 200 stream. */
  error: UpstreamErrorInfo | undefined;
  /** The stream reached its terminal event (message_stop, response.completed, [DONE], finishReason…). */
  sawEnd: boolean;
  /** Pricing modifiers the response reported (service tier, batch…), when present. */
  serviceTier?: string;
  /**
   * The id the provider gave the response in its body (`chatcmpl-…`, `resp_…`, `msg_…`, Gemini's
   * `responseId`), when seen: what an instrumented client reports as `gen_ai.response.id`.
   */
  responseId?: string;
  /**
   * The response was accepted to finish later (a Responses `background` request answered
   * `queued` or `in_progress`, without usage): its usage comes when it is looked up finished.
   */
  pending?: boolean;
  /** The response says it was created with `background: true` (a Responses object looked up). */
  background?: boolean;
  /** The answer was billed by a unit the usage does not count (DALL·E's images): without usage its cost is unknown, not 0. */
  billedWithoutUsage?: boolean;
  /** The provider failed the request before it began (an error event before the stream's start): nothing to bill, so no input is estimated. */
  failedBeforeStart?: boolean;
  /** A batch's results, downloaded (a Gemini batch's, read when it is looked up ended): each succeeded request's usage, billed on a row of its own. */
  batch?: BatchResults;
  /** The files an OpenAI batch's answer names as its output and errors: the provider made them for the batch's owner (auth.stored_objects). */
  batchFiles?: string[];
  /** The ids of the items a Response's answer holds (its output; the input items a lookup lists), which a later request may reference (auth.stored_objects). */
  items?: string[];
  /** The containers the answer says it ran code in (Anthropic's `container`, a Response's code interpreter and shell calls), which a later request may reuse (auth.stored_objects). */
  containers?: string[];
  /**
   * A stream cut before its end, or ended without usage: the output tokens the text it streamed (text, thinking,
   * tool arguments) comes to at CHARS_PER_TOKEN, for a provider that had counted less (settle takes the larger).
   */
  outputEstimate?: number;
  /** The conversation a Response's answer says it belongs to (`conversation.id`): one a request may have made (auth.stored_objects). */
  conversations?: string[];
}

/** The succeeded requests of a batch's results (errored, canceled and expired ones are not billed). */
export interface BatchResults {
  /** What the results' rows are named after: the Message Batch's id, the OpenAI batch's output file's, the Gemini batch's name (`batches/…`). */
  batchId: string;
  /** The API of their rows. */
  api: 'anthropic.batch_message' | 'openai.batch_request' | 'gemini.batch_request';
  results: BatchResult[];
  /** The results were read to their end: false for a download cut short, whose other results are still to bill. */
  complete: boolean;
}

export interface BatchResult {
  customId: string;
  /** The model the result's message names. */
  model: string | undefined;
  usage: Usage;
  /** `batch`, as the message's usage says (or assumed when it says nothing; OpenAI's always). */
  serviceTier: string;
  /** The containers its answer says code ran in (a Response's code interpreter and shell calls, a Message's `container`): the batch owner's (auth.stored_objects). */
  containers?: string[];
  /**
   * What the provider keeps of its answer, the batch owner's (auth.stored_objects): a stored Response's
   * id, then its output items' ids; a chat completion's id (openai/batches.ts readOutputLine).
   */
  stored?: string[];
  /** Billed, but its answer gives no count (a Gemini result without usage): its row is unpriced, never free. */
  billedWithoutUsage?: boolean;
}

export interface UpstreamErrorInfo {
  /** The provider's error type or status string (rate_limit_error, RESOURCE_EXHAUSTED…). */
  type: string;
  message: string;
  /** The wait the body asks for before a retry (Gemini's `RetryInfo.retryDelay`), in ms: Gemini sends no `retry-after`. */
  retryAfterMs?: number;
  /**
   * How long its deployment rests whatever the headers say, when the error is not a passing limit:
   * an account out of credit (OpenAI's `insufficient_quota` 429), which no rate-limit reset ends.
   */
  restMs?: number;
}

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}
