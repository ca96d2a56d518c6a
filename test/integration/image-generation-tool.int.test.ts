import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/**
 * A Response whose image_generation tool made an image: its `tool_usage.image_gen` is billed apart
 * from `usage`, at the image model's rates (protocols.md §1.7), through the real SDK and catalog.
 */
describe('the Responses image_generation tool', () => {
  const h = useHarness({ price: createPricer() });

  it('costs the Response’s tokens plus the image model’s, streamed or not, with the model the tool names', async () => {
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const ask = async (tool: { type: 'image_generation'; model?: string }) => {
      const { data, response } = await client.responses.create({ model: 'gpt-4.1', input: 'Draw a lighthouse.', tools: [tool] }).withResponse();
      expect(data.tools).toEqual([tool]);
      const streamed = await client.responses.create({ model: 'gpt-4.1', input: 'Draw a lighthouse.', tools: [tool], stream: true }).withResponse();
      for await (const _ of streamed.data) void _;
      return [response.headers.get('x-tollgate-request-id')!, streamed.response.headers.get('x-tollgate-request-id')!];
    };

    // gpt-4.1: 1,000 × 2e6 + 100 × 8e6 = 2.8e9; gpt-image-1 (the tool's default): 50 × 5e6 + 4,160 × 40e6 = 1.6665e11.
    h.fake.setDefault({ usage: { input: 1_000, output: 100, imageGen: { textInput: 50, imageInput: 0, output: 4_160 } } });
    for (const id of await ask({ type: 'image_generation' })) {
      expect(await h.row(id)).toMatchObject({ model: 'gpt-4.1', inputTokens: 1_000, outputTokens: 100, costPicos: 169_450_000_000n, unpriced: false });
    }
    // gpt-image-1-mini: 40 cached text × 0.2e6 + 440 image × 2.5e6 + 60 cached image × 0.25e6 + 1,056 × 8e6 = 9.571e9.
    h.fake.setDefault({ usage: { input: 1_000, output: 100, imageGen: { textInput: 40, imageInput: 500, cached: 100, output: 1_056 } } });
    for (const id of await ask({ type: 'image_generation', model: 'gpt-image-1-mini' })) {
      expect(await h.row(id)).toMatchObject({ costPicos: 12_371_000_000n, unpriced: false });
    }
    // An image model the catalog does not price: the request's cost is unknown.
    for (const id of await ask({ type: 'image_generation', model: 'gpt-image-9' })) {
      expect(await h.row(id)).toMatchObject({ inputTokens: 1_000, costPicos: null, unpriced: true });
    }
  });
});
