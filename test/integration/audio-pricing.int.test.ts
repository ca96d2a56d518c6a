import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/**
 * Audio tokens reported in a response's token details are priced at the model's audio rates
 * (the catalog's `input_audio_mtok`, `cache_audio_read_mtok`, `output_audio_mtok`), through the
 * real clients and the real catalog, streamed or not.
 */
describe('audio tokens priced at audio rates', () => {
  const h = useHarness({ price: createPricer() });

  // gemini-2.5-flash: text in 0.30, audio in 1.00, cached text 0.03, cached audio 0.10, out 2.50 per million.
  // 3,300 in: 1,000 text and 1,500 audio uncached, 300 text and 500 audio cached; 100 out:
  // 1,000 × 0.3e6 + 1,500 × 1e6 + 300 × 0.03e6 + 500 × 0.1e6 + 100 × 2.5e6 = 2,109,000,000 picos (all text: 1,024,000,000).
  const GEMINI = { input: 2_500, audioInput: 1_500, cacheRead: 800, audioCacheRead: 500, output: 100 };
  const GEMINI_COST = 2_109_000_000n;

  it('Gemini, through @google/genai: generateContent and its stream', async () => {
    h.fake.setDefault({ usage: GEMINI });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const once = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Transcribe this.' });
    expect(once.usageMetadata?.promptTokensDetails).toEqual([{ modality: 'TEXT', tokenCount: 1_300 }, { modality: 'AUDIO', tokenCount: 2_000 }]);
    const ids = [once.sdkHttpResponse?.headers?.['x-tollgate-request-id']];
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Transcribe this.' });
    for await (const chunk of stream) ids[1] ??= chunk.sdkHttpResponse?.headers?.['x-tollgate-request-id'];
    for (const id of ids) expect(await h.row(id!)).toMatchObject({ model: 'gemini-2.5-flash', inputTokens: 3_300, cacheReadTokens: 800, outputTokens: 100, costPicos: GEMINI_COST, unpriced: false });
  });

  // gpt-audio: text in 2.50, audio in 32.00, text out 10.00, audio out 64.00 per million.
  // 1,000 in (400 audio), 1,000 out (600 audio): 600 × 2.5e6 + 400 × 32e6 + 400 × 10e6 + 600 × 64e6 = 56,700,000,000 picos.
  const AUDIO_CHAT = { input: 1_000, audioInput: 400, output: 1_000, audioOutput: 600 };
  const AUDIO_CHAT_COST = 56_700_000_000n;

  it('OpenAI Chat with audio, through the openai SDK: a completion and a stream (usage asked for by the gateway)', async () => {
    h.fake.setDefault({ usage: AUDIO_CHAT });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'gpt-audio', messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
    expect(data.usage?.completion_tokens_details?.audio_tokens).toBe(600);
    const streamed = await client.chat.completions.create({ model: 'gpt-audio', stream: true, messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
    for await (const _ of streamed.data) void _;
    for (const id of [response.headers.get('x-tollgate-request-id'), streamed.response.headers.get('x-tollgate-request-id')]) {
      expect(await h.row(id!)).toMatchObject({ model: 'gpt-audio', inputTokens: 1_000, outputTokens: 1_000, costPicos: AUDIO_CHAT_COST });
    }
  });
});
