import type { Api } from '../core/api.js';
import type { GatewayError } from '../core/errors.js';
import type { Picos } from '../core/money.js';
import type { Usage } from '../core/usage.js';
import type { BatchModelTotal } from './batch-estimate.js';
import type { StoredContext } from './estimate.js';
import type { CachedContent } from './gemini-cache.js';

// What the gateway and the enforcer say to each other about one request.

export interface Caller {
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  tags: Readonly<Record<string, string>>;
}

/** Where a model is served: the gateway's provider choice, reduced to what pricing needs. */
export interface Served {
  provider: string;
  catalogProvider: string | undefined;
}

export interface AdmitRequest<P extends Served> {
  id: string;
  caller: Caller;
  model: string;
  /** The client sent `x-tollgate-model-override: keep`. */
  keep: boolean;
  bodyBytes: number;
  json: unknown;
  /** The API the body is for: a stored context it names counts only where the API defines the member (estimate.ts storedReference); absent, none does. */
  api?: Api;
  /** Each answer's output cap; `choices` answers are asked for (OpenAI `n`, Gemini `candidateCount`), 1 when unset. */
  maxOutputTokens: number | undefined;
  /** The least cap the API takes: `enforce_max_tokens` refuses a request rather than lower its cap under it. */
  minOutputTokens?: number | undefined;
  choices?: number;
  /** Price modifiers the request asks for (Anthropic's fast mode, inference geography): the estimate is priced with them. */
  modifiers?: Pick<Usage, 'speed' | 'inferenceGeo'>;
  /** What the stored context a Responses request continues counts as; admission looks it up when unset (and sets it). */
  context?: StoredContext | undefined;
  /** What the explicit Gemini cache the request names counts as; admission looks it up when unset (and sets it). */
  cached?: CachedContent | undefined;
  /** Picks the provider for a model (throws the gateway's own error when none serves it). */
  resolve(model: string): P;
  /**
   * Whether some provider serves `model` for this request, as routing rules judge their targets
   * (the request's dialect, or a provider translating from it that can take this request).
   * Absent: any model `resolve` finds a provider for (a socket's, which is fixed).
   */
  serves?: ((model: string) => boolean) | undefined;
}

export interface Admission<P extends Served> {
  model: string;
  rewrittenFrom: string | null;
  served: P;
  /** Response headers for the client (x-tollgate-model-rewritten, x-tollgate-budget-remaining). */
  headers: Record<string, string>;
  /** The pool that pays for this request, if any. */
  pool: string | null;
  /** Set when the request must be capped upstream (`enforce_max_tokens`). */
  capOutputTokens: number | undefined;
  /**
   * Before each routed attempt, with the model it serves as budgets name it (the route's or
   * fallback's, not a deployment's upstream alias), where it goes, and the model it is priced
   * at: reserves on the budgets and rate limits that apply to it and are not held yet.
   * Says whether the attempt may be made (often synchronously), and with which output cap.
   */
  attempt: (n: number, model: string, served: Served, pricedAs: string) => AttemptVerdict | Promise<AttemptVerdict>;
  /**
   * Replaces the reservations by the actual cost; runs in the background, never throws, once
   * only. `attempts` (the row's attempt log) splits the cost when attempts went to other
   * models or providers than admitted: each budget is charged its own attempts.
   */
  settle(costPicos: Picos | null, tokens: number, attempts?: readonly AttemptCost[]): void;
}

/** What the enforcer says about one routed attempt. */
export type AttemptVerdict =
  /**
   * The attempt may be made. `capOutputTokens`, when set, is the output cap its body must
   * carry instead of admission's (`enforce_max_tokens` on the budgets of its model or provider).
   */
  | { ok: true; capOutputTokens?: number }
  /**
   * A budget or rate limit of this model or provider has no room: the attempt must not be
   * made. `final()` is called when the client gets `error` (no other candidate served): it
   * raises the refusal's alert, which a refusal another candidate recovered from must not.
   */
  | { ok: false; error: GatewayError; final(): void };

/** An attempt of the ledger row's log, by its number. */
export interface AttemptCost {
  n: number;
  costPicos: Picos | null;
}

/** A batch's creation: its requests summed per model, and the provider that will run them all. */
export interface BatchAdmitRequest {
  id: string;
  caller: Caller;
  totals: readonly BatchModelTotal[];
  served: Served;
}

export interface BatchAdmission {
  /** Response headers for the client (x-tollgate-budget-remaining). */
  headers: Record<string, string>;
  /** Lets the reservations go (the creation's row is recorded); once only, never throws. */
  settle(): void;
}
