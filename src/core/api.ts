/** The three wire dialects the gateway speaks. */
export type Dialect = 'openai' | 'anthropic' | 'gemini';
export const DIALECTS: readonly Dialect[] = ['openai', 'anthropic', 'gemini'];

/** The API surfaces recorded in the ledger's `api` column. */
export type Api =
  | 'openai.chat'
  | 'openai.responses'
  | 'openai.embeddings'
  | 'openai.models'
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'gemini.generate';

export const APIS: readonly Api[] = [
  'openai.chat',
  'openai.responses',
  'openai.embeddings',
  'openai.models',
  'anthropic.messages',
  'anthropic.count_tokens',
  'gemini.generate',
];

export function dialectOf(api: Api): Dialect {
  return api.slice(0, api.indexOf('.')) as Dialect;
}

/**
 * What happened to a request, from the client's point of view.
 * - `upstream_error`: the provider answered with an error, including an error event
 *   inside a 200 stream (the row's `status` stays what the client got).
 * - `rejected`: the gateway refused it (bad key, bad input, policy).
 * - `client_aborted`: the client went away before the response ended.
 * - `truncated`: the upstream response ended early (connection drop, cut stream).
 * - `gateway_error`: the gateway itself failed.
 */
export type Outcome = 'ok' | 'upstream_error' | 'rejected' | 'client_aborted' | 'truncated' | 'gateway_error';

export const OUTCOMES: readonly Outcome[] = ['ok', 'upstream_error', 'rejected', 'client_aborted', 'truncated', 'gateway_error'];
