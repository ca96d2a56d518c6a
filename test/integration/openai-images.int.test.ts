import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');

/**
 * OpenAI's Images API through the gateway with the real SDK: generations (JSON) and edits (a
 * form), streamed or not. GPT image models are priced from their usage at the catalog's image
 * rates; DALL·E reports no usage, so its rows are unpriced.
 */
describe('OpenAI images', () => {
  const h = useHarness({ price: createPricer() });
  const client = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const idOf = (r: Response) => r.headers.get('x-tollgate-request-id')!;

  it('a generation, streamed or not: its text tokens and the image tokens made, at gpt-image-1’s rates', async () => {
    h.fake.setDefault({ usage: { input: 50, output: 1_056 } });
    const { data, response } = await client().images.generate({ model: 'gpt-image-1', prompt: 'A lighthouse at dusk', quality: 'medium' }).withResponse();
    expect(data.data?.[0]?.b64_json).toBeTruthy();
    expect(data.usage).toMatchObject({ input_tokens: 50, output_tokens: 1_056 });
    const streamed = await client().images.generate({ model: 'gpt-image-1', prompt: 'A lighthouse at dusk', stream: true, partial_images: 2 }).withResponse();
    const types: string[] = [];
    for await (const event of streamed.data) types.push(event.type);
    expect(types).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    // 50 × 5e6 + 1,056 × 40e6 = 2.5e8 + 4.224e10
    for (const id of [idOf(response), idOf(streamed.response)]) {
      expect(await h.row(id)).toMatchObject({ api: 'openai.images', model: 'gpt-image-1', inputTokens: 50, outputTokens: 1_056, usageSource: 'final', costPicos: 42_490_000_000n, unpriced: false });
    }
  });

  it('an edit sends its pictures as a form: the model is read from the form, and the image input priced as image', async () => {
    h.fake.setDefault({ usage: { input: 50, imageInput: 323, output: 1_056 } });
    const image = await toFile(PNG, 'door.png', { type: 'image/png' });
    const { data, response } = await client().images.edit({ model: 'gpt-image-1-mini', image, prompt: 'Paint the door red' }).withResponse();
    expect(data.usage?.input_tokens_details).toEqual({ image_tokens: 323, text_tokens: 50 });
    const sent = h.fake.requests.at(-1)!;
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.body.includes(PNG)).toBe(true);
    // gpt-image-1-mini: 50 × 2e6 + 323 × 2.5e6 + 1,056 × 8e6 = 1e8 + 8.075e8 + 8.448e9
    expect(await h.row(idOf(response))).toMatchObject({ api: 'openai.images', model: 'gpt-image-1-mini', modelRequested: 'gpt-image-1-mini', inputTokens: 373, outputTokens: 1_056, costPicos: 9_355_500_000n });
    const streamed = await client().images.edit({ model: 'gpt-image-1-mini', image: await toFile(PNG, 'door.png', { type: 'image/png' }), prompt: 'Paint the door red', stream: true }).withResponse();
    for await (const _ of streamed.data) void _;
    expect(await h.row(idOf(streamed.response))).toMatchObject({ stream: true, costPicos: 9_355_500_000n });
  });

  it('an edit sent as JSON (images by file_id or URL): the model is read from its body, and it is priced as a form is', async () => {
    h.fake.setDefault({ usage: { input: 50, imageInput: 323, output: 1_056 } });
    const send = (body: Record<string, unknown>) =>
      fetch(`${h.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const plain = await send({ model: 'gpt-image-1-mini', images: [{ image_url: 'https://example.com/door.png' }], prompt: 'Paint the door red' });
    expect(plain.status).toBe(200);
    expect(JSON.parse(h.fake.requests.at(-1)!.body.toString())).toMatchObject({ model: 'gpt-image-1-mini', prompt: 'Paint the door red' });
    expect(await h.row(idOf(plain))).toMatchObject({ api: 'openai.images', model: 'gpt-image-1-mini', modelRequested: 'gpt-image-1-mini', stream: false, inputTokens: 373, outputTokens: 1_056, costPicos: 9_355_500_000n });
    const streamed = await send({ model: 'gpt-image-1-mini', images: [{ image_url: 'https://example.com/door.png' }], prompt: 'Paint the door red', stream: true });
    expect(await streamed.text()).toContain('image_edit.completed');
    expect(await h.row(idOf(streamed))).toMatchObject({ model: 'gpt-image-1-mini', stream: true, costPicos: 9_355_500_000n });
  });

  it('DALL·E reports no usage: the row is kept, unpriced, with the model asked for (a variation too)', async () => {
    const { data, response } = await client().images.generate({ model: 'dall-e-3', prompt: 'A lighthouse' }).withResponse();
    expect(data.data?.[0]?.url).toBe('https://images.example/fake.png');
    expect(await h.row(idOf(response))).toMatchObject({ api: 'openai.images', model: 'dall-e-3', usageSource: 'none', costPicos: null, unpriced: true });
    const variation = await client().images.createVariation({ model: 'dall-e-2', image: await toFile(PNG, 'door.png', { type: 'image/png' }) }).withResponse();
    expect(variation.data.data?.[0]?.url).toBe('https://images.example/fake.png');
    expect(await h.row(idOf(variation.response))).toMatchObject({ api: 'openai.images', model: 'dall-e-2', costPicos: null, unpriced: true });
  });
});
