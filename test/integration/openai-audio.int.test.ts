import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/** A few bytes standing for a recording: the fake upstream does not listen to it. */
const WAV = Buffer.from('RIFF\u0024\u0000\u0000\u0000WAVEfmt fake-recording', 'latin1');

/**
 * OpenAI's Audio API through the gateway with the real SDK: transcriptions and translations
 * (forms) and speech (JSON, audio bytes back). Token usage (the GPT-4o transcribe and TTS
 * models) is priced at the catalog's audio rates; Whisper's duration and speech's bare audio
 * leave the row unpriced.
 */
describe('OpenAI audio', () => {
  const h = useHarness({ price: createPricer() });
  const client = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  const idOf = (r: Response) => r.headers.get('x-tollgate-request-id')!;
  const recording = () => toFile(WAV, 'memo.wav', { type: 'audio/wav' });

  it('a transcription, streamed or not: the recording’s audio tokens at the audio rate, the prompt and text at the text rates', async () => {
    h.fake.setDefault({ usage: { input: 12, audioInput: 950, output: 11 } });
    const { data, response } = await client().audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await recording() }).withResponse();
    expect(data.text).toBe('The quick brown fox jumps over the lazy dog.');
    const sent = h.fake.requests.at(-1)!;
    expect(sent.body.includes(WAV)).toBe(true);
    const streamed = await client().audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await recording(), stream: true }).withResponse();
    let text = '';
    for await (const event of streamed.data) if (event.type === 'transcript.text.delta') text += event.delta;
    expect(text).toBe(data.text);
    // gpt-4o-transcribe: 12 × 2.5e6 + 950 audio × 6e6 + 11 × 10e6 = 3e7 + 5.7e9 + 1.1e8
    for (const [id, stream] of [[idOf(response), false], [idOf(streamed.response), true]] as const) {
      expect(await h.row(id)).toMatchObject({ api: 'openai.audio', model: 'gpt-4o-transcribe', stream, inputTokens: 962, outputTokens: 11, usageSource: 'final', costPicos: 5_840_000_000n, unpriced: false });
    }
  });

  it('Whisper (billed by the minute), a transcript as text and a translation: kept, unpriced, never free', async () => {
    const whisper = await client().audio.transcriptions.create({ model: 'whisper-1', file: await recording() }).withResponse();
    expect(whisper.data.text).toContain('quick brown fox');
    const asText = await client().audio.transcriptions.create({ model: 'gpt-4o-mini-transcribe', file: await recording(), response_format: 'text' }).withResponse();
    expect(asText.data).toContain('quick brown fox');
    const translated = await client().audio.translations.create({ model: 'whisper-1', file: await recording() }).withResponse();
    expect(translated.data.text).toContain('quick brown fox');
    for (const [r, model] of [[whisper.response, 'whisper-1'], [asText.response, 'gpt-4o-mini-transcribe'], [translated.response, 'whisper-1']] as const) {
      expect(await h.row(idOf(r))).toMatchObject({ api: 'openai.audio', model, outcome: 'ok', usageSource: 'none', costPicos: null, unpriced: true });
    }
  });

  it('speech: the audio bytes pass through unchanged (unpriced: they carry no usage); as SSE its done event’s usage is priced', async () => {
    h.fake.setDefault({ usage: { input: 12, output: 11 } });
    const spoken = await client().audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there' }).withResponse();
    expect(Buffer.from(await spoken.data.arrayBuffer()).toString('latin1')).toContain('fake-audio');
    expect(await h.row(idOf(spoken.response))).toMatchObject({ api: 'openai.audio', model: 'gpt-4o-mini-tts', costPicos: null, unpriced: true });
    const sse = await client().audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there', stream_format: 'sse' }).withResponse();
    expect(await sse.data.text()).toContain('speech.audio.done');
    // gpt-4o-mini-tts: 12 × 0.6e6 + 11 audio out × 12e6 = 7.2e6 + 1.32e8
    expect(await h.row(idOf(sse.response))).toMatchObject({ stream: true, inputTokens: 12, outputTokens: 11, costPicos: 139_200_000n, unpriced: false });
  });
});

describe('a recording under a budget', () => {
  const b = toBudget(parseRule(budgetInput, { scope: 'user:alice', window: 'day', limit_usd: '0.10' }), 'budget', 'config', 0);
  const h = useHarness({ price: createPricer(), policy: { rules: { budgets: [b], rateLimits: [], modelPolicies: [] } } });

  it('is estimated from the form’s text fields, not from the recording’s bytes', async () => {
    // 2 MB counted as input tokens would be $5 at gpt-4o-transcribe's $2.50 a million: refused by a $0.10 budget.
    const big = await toFile(Buffer.alloc(2 * 1024 * 1024, 7), 'long.wav', { type: 'audio/wav' });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: big }).withResponse();
    expect(data.text).toContain('quick brown fox');
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ outcome: 'ok', unpriced: false });
  });
});
