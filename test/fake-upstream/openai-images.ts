import { jsonHeaders, sseHeaders } from './headers.js';
import { type BuildInput, type Reply, formField, jsonReply, namedEvent, pretty, str } from './reply.js';

/** A 1×1 PNG: the fake's every image. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
const FIXED_CREATED = 1_790_000_000;

/**
 * `POST /images/generations` (JSON) and `/images/edits` and `/images/variations` (forms). A GPT
 * image model reports `usage` (the scenario's `input` as text tokens, `imageInput` as image
 * tokens, `output` as the image tokens made); DALL·E reports none. `stream: true` sends
 * `partial_images` partial events, then the completed one with the usage.
 */
export function buildImages(input: BuildInput): Reply {
  const { req, scenario: s, body } = input;
  const form = req.headers['content-type']?.startsWith('multipart/form-data') === true;
  const field = (name: string) => (form ? formField(req.body, name) : (str(body[name]) ?? (typeof body[name] === 'number' || typeof body[name] === 'boolean' ? String(body[name]) : undefined)));
  const model = field('model') ?? 'dall-e-2';
  const text = s.usage?.input ?? 50;
  const image = s.usage?.imageInput ?? 0;
  const output = s.usage?.output ?? 1_056;
  const usage = model.startsWith('gpt-image')
    ? { input_tokens: text + image, input_tokens_details: { image_tokens: image, text_tokens: text }, output_tokens: output, total_tokens: text + image + output }
    : undefined;
  const look = { background: 'opaque', output_format: 'png', quality: 'medium', size: '1024x1024' };
  if (field('stream') !== 'true') {
    const data = model.startsWith('dall-e') && field('response_format') !== 'b64_json' ? [{ url: 'https://images.example/fake.png' }] : [{ b64_json: PNG }];
    return jsonReply(jsonHeaders('openai'), pretty({ created: s.created ?? FIXED_CREATED, data, ...look, ...(usage ? { usage } : {}) }));
  }
  const kind = req.path.endsWith('/edits') ? 'image_edit' : 'image_generation';
  const pieces: Buffer[] = [];
  const partials = Number(field('partial_images') ?? 0);
  for (let i = 0; i < partials; i++) pieces.push(namedEvent(`${kind}.partial_image`, JSON.stringify({ type: `${kind}.partial_image`, b64_json: PNG, created_at: FIXED_CREATED, ...look, partial_image_index: i })));
  pieces.push(namedEvent(`${kind}.completed`, JSON.stringify({ type: `${kind}.completed`, b64_json: PNG, created_at: FIXED_CREATED, ...look, ...(usage ? { usage } : {}) })));
  return { status: 200, headers: sseHeaders('openai'), pieces, stream: true };
}
