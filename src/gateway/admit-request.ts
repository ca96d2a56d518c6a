import type { Api } from '../core/api.js';
import type { Identity } from '../identity/identify.js';
import type { AdmitRequest, Served } from '../policy/admission.js';
import type { HeaderBag, RequestInfo } from '../providers/types.js';

/**
 * What the policy is asked to admit, from a request as the gateway inspected it (HTTP or a socket's
 * `response.create`). `select`, where the gateway has one, picks the provider for a model other than
 * the one asked for as routing rules do, throwing when none can serve it for this request. `body.api`:
 * the API the body is for, which says whether its `previous_response_id` or `previous_interaction_id` continues anything.
 */
export function admitRequest<P extends Served>(id: string, caller: Identity, info: RequestInfo, headers: HeaderBag, body: { bytes: number; json: unknown; api: Api }, resolve: (model: string) => P, select?: (model: string) => unknown): AdmitRequest<P> {
  return {
    // Always present, so every request's object has one shape (a spread made each a slow dictionary object, about 6% of a budgeted request's CPU).
    serves: select && ((model: string) => succeeds(() => select(model))),
    id,
    caller,
    model: info.model,
    keep: keepsModel(headers),
    bodyBytes: body.bytes,
    json: body.json,
    api: body.api,
    maxOutputTokens: info.maxOutputTokens,
    minOutputTokens: info.minOutputTokens,
    choices: info.choices,
    modifiers: info.speed === undefined && info.inferenceGeo === undefined ? undefined : { speed: info.speed, inferenceGeo: info.inferenceGeo },
    context: undefined,
    resolve,
  };
}

/** The client sent `x-tollgate-model-override: keep`: it asks that model policy not rewrite its model. */
export function keepsModel(headers: HeaderBag): boolean {
  return headers['x-tollgate-model-override']?.trim().toLowerCase() === 'keep';
}

function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}
