import { isConversation } from '../../core/api.js';
import { fitToModel as fitToClaude } from '../anthropic/model-change.js';
import { fitThinking } from '../anthropic/output-cap.js';
import { type CapNames, GEMINI_CAP, INTERACTION_CAP } from '../gemini/request.js';
import { fitToModel as fitToOpenAI } from '../openai/model-change.js';
import { isResponsesShapedChat } from '../openai/request.js';
import type { RouteMatch } from '../types.js';

/** What a policy changes in a request: the model (a rewrite) and the output cap (`enforce_max_tokens`). */
export interface RequestOverrides {
  model?: string;
  maxOutputTokens?: number;
}

/**
 * Applies policy changes in each API's own terms. This re-serialises the body, which the
 * gateway otherwise never does: it happens only when a policy changes the request, and
 * the client is told so in `x-tollgate-model-rewritten`.
 */
export function applyOverrides(route: RouteMatch, json: unknown, path: string, o: RequestOverrides): { body: Buffer; path: string } {
  const body = { ...(json as Record<string, unknown>) };
  let outPath = path;
  if (o.model !== undefined) {
    // An interaction names its model in the body, bare, as the other dialects do.
    if (route.dialect !== 'gemini' || route.api === 'gemini.interactions') body.model = o.model;
    // A cache names its model in the body, as `models/…`.
    else if (route.api === 'gemini.caches') body.model = resourceName(o.model);
    else {
      // Gemini names the model in the path; a batch of embeddings names it again in each request.
      outPath = withPathModel(path, o.model);
      if (route.api === 'gemini.embed' && Array.isArray(body.requests)) body.requests = body.requests.map((r: unknown) => renameRequestModel(r, o.model!));
    }
    // Fitted only when the model changes: a body re-serialised for a lower cap alone (a deployment of
    // the model asked for, routed.ts) keeps what its client sent for its own model.
    const moved = (json as Record<string, unknown> | null | undefined)?.model !== o.model;
    if (moved && route.dialect === 'openai') fitToOpenAI(route.api, body, o.model);
    // Before the cap below, which lowers a manual budget this may set.
    if (moved && (route.api === 'anthropic.messages' || route.api === 'anthropic.count_tokens')) fitToClaude(body, o.model);
  }
  if (o.maxOutputTokens !== undefined) capOutput(route, body, o.maxOutputTokens);
  return { body: Buffer.from(JSON.stringify(body)), path: outPath };
}

/**
 * The path of `model`'s `:{method}` in place of the one in `path` (a policy or route changed the
 * model), under the API version the client asked for: `/v1` (the stable one) is routed as `/v1beta` is.
 */
function withPathModel(path: string, model: string): string {
  const collection = model.startsWith('tunedModels/') ? 'tunedModels' : 'models';
  const id = model.replace(/^(models|tunedModels)\//, '');
  return path.replace(/^(\/v1(?:beta)?\/)(models|tunedModels)\/[^/:]+/, `$1${collection}/${encodeURIComponent(id)}`);
}

function renameRequestModel(request: unknown, model: string): unknown {
  if (request === null || typeof request !== 'object' || Array.isArray(request) || !('model' in request)) return request;
  return { ...request, model: resourceName(model) };
}

/** A model as Gemini's bodies name it: `models/x` (or `tunedModels/x`). */
function resourceName(model: string): string {
  return model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
}

function capOutput(route: RouteMatch, body: Record<string, unknown>, cap: number): void {
  const lower = (field: string) => {
    const current = body[field];
    if (typeof current !== 'number' || current > cap) body[field] = cap;
  };
  if (route.api === 'openai.completions') return lower('max_tokens');
  if (route.api === 'gemini.interactions') return capNested(body, cap, INTERACTION_CAP);
  // Besides a text completion, only a conversation's request carries an output cap.
  if (!isConversation(route.api)) return;
  switch (route.api) {
    case 'openai.chat':
      // A Responses body sent to chat (Cursor's) goes to the Responses API, which knows only its own field.
      if (isResponsesShapedChat(body)) return lower('max_output_tokens');
      // Newer models reject max_tokens; keep the field the client used, else the current one.
      lower('max_tokens' in body && !('max_completion_tokens' in body) ? 'max_tokens' : 'max_completion_tokens');
      return;
    case 'openai.responses':
      lower('max_output_tokens');
      return;
    case 'anthropic.messages': {
      // Only past a cap lowered here: with interleaved thinking a client may give a budget past its own cap.
      const sent = body.max_tokens;
      lower('max_tokens');
      if (body.max_tokens !== sent) fitThinking(body, cap);
      return;
    }
    case 'gemini.generate':
      return capNested(body, cap, GEMINI_CAP);
    // A compaction has no output cap to lower, nor do token counts.
    case 'openai.compact':
    case 'openai.input_tokens':
    case 'anthropic.count_tokens':
    case 'gemini.count_tokens':
      return;
  }
}

/**
 * Lowers a cap kept in a config object of the body, where the client wrote it and as it wrote it,
 * so that no second value of the one field goes upstream; a body without one gets the first names.
 */
function capNested(body: Record<string, unknown>, cap: number, names: CapNames): void {
  const isConfig = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const containers = names.configs.filter((k) => isConfig(body[k]));
  for (const key of containers.length > 0 ? containers : names.configs.slice(0, 1)) {
    const config = { ...((body[key] as Record<string, unknown> | undefined) ?? {}) };
    const fields = names.fields.filter((f) => f in config);
    for (const f of fields.length > 0 ? fields : names.fields.slice(0, 1)) {
      const current = config[f];
      if (typeof current !== 'number' || current > cap) config[f] = cap;
    }
    body[key] = config;
  }
}
