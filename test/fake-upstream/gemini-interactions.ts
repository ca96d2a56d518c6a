import { randomBytes } from 'node:crypto';
import { planContent, resolveUsage, type Usage } from './content.js';
import { errorReply } from './errors.js';
import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, jsonReply, pretty, str } from './reply.js';

type Json = Record<string, unknown>;

/** Interactions made through any fake in this process (ids are random, so two fakes never share one). */
const INTERACTIONS = new Map<string, Json>();
const PATH = /^\/(v1|v1beta)\/interactions(?:\/([^/:]+)(\/cancel)?)?$/;

/** The route name of an Interactions API path, or undefined. */
export function geminiInteractionRoute(method: string, path: string): string | undefined {
  const m = PATH.exec(path);
  if (m === null) return undefined;
  if (m[2] === undefined) return method === 'POST' ? 'gemini.interactions.create' : undefined;
  if (m[3] !== undefined) return method === 'POST' ? 'gemini.interactions.cancel' : undefined;
  return method === 'GET' ? 'gemini.interactions.get' : method === 'DELETE' ? 'gemini.interactions.delete' : undefined;
}

/**
 * The usage of an Interaction, in its API's names: `total_input_tokens` is the whole prompt, its
 * cached part too; thinking is reported apart from `total_output_tokens` (the scenario's `output`
 * counts it, as for generateContent).
 */
function interactionUsage(u: Usage): Json {
  const input = u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
  const output = Math.max(0, u.output - u.reasoning);
  return {
    total_input_tokens: input,
    total_cached_tokens: u.cacheRead,
    total_output_tokens: output,
    total_thought_tokens: u.reasoning,
    total_tool_use_tokens: 0,
    total_tokens: input + u.output,
  };
}

/**
 * Gemini's Interactions API (`@google/genai`'s `client.interactions`): a create answers the
 * Interaction (`id`, `model`, `status`, `steps`, `usage`), or with `stream: true` the events
 * `interaction.created`, `step.start`, one `step.delta` per text piece, `step.stop`,
 * `interaction.status_update` and `interaction.completed` (carrying the usage); with `background: true`
 * it answers the interaction `in_progress` without usage, finished by its first lookup; a stored one is
 * read, cancelled and deleted by id. An unknown id is a 404 `NOT_FOUND`.
 */
export function buildGeminiInteractions(input: BuildInput): Reply {
  const { req, body, scenario: s } = input;
  const route = geminiInteractionRoute(req.method, req.path)!;
  const ok = (value: unknown) => jsonReply(jsonHeaders('gemini'), pretty(value));
  if (route === 'gemini.interactions.create') {
    const content = planContent(s, []);
    const usage = interactionUsage(resolveUsage(s.usage, req.body.length, content));
    const now = new Date().toISOString();
    const id = s.id ?? `v1_${randomBytes(9).toString('base64url')}`;
    const model = s.model ?? str(body.model) ?? 'gemini-fake';
    const steps = [{ type: 'model_output', content: [{ type: 'text', text: content.text }] }];
    const done: Json = { id, object: 'interaction', model, status: 'completed', created: now, updated: now, steps, usage };
    if (body.store !== false) INTERACTIONS.set(id, done);
    // Run in the background: accepted at once, at work, without steps or usage; a lookup finds it finished.
    if (body.background === true && body.stream !== true) return ok({ id, object: 'interaction', model, status: 'in_progress', created: now, updated: now });
    if (body.stream !== true) return ok(done);
    const event = (type: string, data: Json) => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ event_type: type, ...data })}\n\n`);
    const pieces = [
      event('interaction.created', { interaction: { id, object: 'interaction', model, status: 'in_progress', created: now } }),
      event('step.start', { index: 0, step: { type: 'model_output' } }),
      ...content.textPieces.map((text) => event('step.delta', { index: 0, delta: { type: 'text', text } })),
      event('step.stop', { index: 0 }),
      event('interaction.status_update', { interaction_id: id, status: 'completed' }),
      event('interaction.completed', { interaction: { id, object: 'interaction', model, status: 'completed', created: now, updated: now, usage } }),
    ];
    return { status: 200, headers: sseHeaders('gemini'), pieces, stream: true };
  }
  const id = decodeURIComponent(PATH.exec(req.path)![2]!);
  const found = INTERACTIONS.get(id);
  if (found === undefined) return errorReply('gemini', 404, { message: `Interaction ${id} not found.` }, input.requestId);
  if (route === 'gemini.interactions.delete') {
    INTERACTIONS.delete(id);
    return ok({});
  }
  if (route === 'gemini.interactions.cancel') found.status = 'cancelled';
  return ok(found);
}
