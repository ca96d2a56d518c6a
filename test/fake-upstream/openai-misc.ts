import { EMPTY_CONTENT, resolveUsage } from './content.js';
import { errorReply } from './errors.js';
import { jsonHeaders } from './headers.js';
import { type BuildInput, type Reply, jsonReply, pretty, str } from './reply.js';

const DEFAULT_DIMENSIONS = 1536;

export const OPENAI_MODELS = [
  { id: 'gpt-5.6-sol', object: 'model', created: 1790000000, owned_by: 'system' },
  { id: 'gpt-5-mini', object: 'model', created: 1754425777, owned_by: 'system' },
  { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
  { id: 'text-embedding-3-small', object: 'model', created: 1705948997, owned_by: 'system' },
];

const ANTHROPIC_MODELS = [
  { type: 'model', id: 'claude-opus-5-5', display_name: 'Claude Opus 5.5', created_at: '2026-09-22T00:00:00Z' },
  { type: 'model', id: 'claude-sonnet-5-5', display_name: 'Claude Sonnet 5.5', created_at: '2026-10-07T00:00:00Z' },
  { type: 'model', id: 'claude-haiku-5-5', display_name: 'Claude Haiku 5.5', created_at: '2026-10-07T00:00:00Z' },
];

/** Dyadic values are exact in float32 and print short, so both encodings agree exactly. */
function vector(input: number, dims: number): number[] {
  const v: number[] = new Array<number>(dims);
  for (let i = 0; i < dims; i++) v[i] = (((i * 37 + input * 101) % 2001) - 1000) / 16384;
  return v;
}

function base64(v: readonly number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}

function inputCount(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  // A flat array of numbers is one tokenised input, not many.
  return input.length > 0 && input.every((x) => typeof x === 'number') ? 1 : input.length;
}

export function buildEmbeddings(input: BuildInput): Reply {
  const { body, scenario: s } = input;
  const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.floor(body.dimensions) : DEFAULT_DIMENSIONS;
  const asBase64 = body.encoding_format === 'base64';
  const data = Array.from({ length: inputCount(body.input) }, (_, index) => {
    const v = vector(index, dims);
    return { object: 'embedding', index, embedding: asBase64 ? base64(v) : v };
  });
  const u = resolveUsage(s.usage, input.req.body.length, EMPTY_CONTENT);
  const model = s.model ?? str(body.model) ?? 'text-embedding-3-small';
  return jsonReply(jsonHeaders('openai'), pretty({ object: 'list', data, model, usage: { prompt_tokens: u.input, total_tokens: u.input } }));
}

/** GET /v1/models, or /v1/models/{id}. Anthropic clients get Anthropic's list shape. */
export function buildModels(input: BuildInput): Reply {
  const { req } = input;
  const anthropic = req.headers['anthropic-version'] !== undefined;
  const id = /\/models\/(.+)$/.exec(req.path)?.[1];
  const list: readonly Record<string, unknown>[] = anthropic ? ANTHROPIC_MODELS : OPENAI_MODELS;
  const dialect = anthropic ? 'anthropic' : 'openai';
  if (id !== undefined) {
    const found = list.find((m) => m.id === decodeURIComponent(id));
    return found === undefined ? errorReply(dialect, 404, undefined, input.requestId) : jsonReply(jsonHeaders(dialect), pretty(found));
  }
  if (!anthropic) return jsonReply(jsonHeaders('openai'), pretty({ object: 'list', data: list }));
  const body = { data: list, has_more: false, first_id: ANTHROPIC_MODELS[0]!.id, last_id: ANTHROPIC_MODELS.at(-1)!.id };
  return jsonReply(jsonHeaders('anthropic'), JSON.stringify(body));
}

/** Moderations: one result per input, nothing flagged; free, so it reports no usage. */
export function buildModerations(input: BuildInput): Reply {
  const inputs = Array.isArray(input.body.input) ? input.body.input : [input.body.input];
  const result = { flagged: false, categories: { harassment: false, violence: false }, category_scores: { harassment: 0.0001, violence: 0.0002 } };
  return jsonReply(jsonHeaders('openai'), pretty({ id: 'modr-fakeUpstream0001', model: str(input.body.model) ?? 'omni-moderation-latest', results: inputs.map(() => result) }));
}
