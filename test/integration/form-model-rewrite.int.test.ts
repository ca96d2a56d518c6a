import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScope } from '../../src/policy/scope.js';
import { createPricer } from '../../src/pricing/index.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import { type Harness, type HarnessOptions, counterOn, defaultProviders, eventually, startHarness, testBudget } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

/** A recording whose bytes look like a form's own part, so a rewrite that searched the whole body would change them. */
const WAV = Buffer.from('RIFF\u0024\u0000\u0000\u0000WAVE\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n\u00ff\u0000', 'latin1');
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==', 'base64');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What the SDK sent the gateway, byte for byte: its own fetch, with the body read first. */
interface Sent {
  body: Buffer;
  contentType: string;
}

function client(sent: Sent[]): OpenAI {
  const recording = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const r = new Request(url, init);
    const body = Buffer.from(await r.arrayBuffer());
    // Before a form the SDK fetches `data:,`, to learn whether its fetch takes a FormData body.
    if (r.method === 'POST') sent.push({ body, contentType: r.headers.get('content-type') ?? '' });
    return fetch(r.url, { method: r.method, headers: r.headers, body, signal: init?.signal ?? null });
  };
  return new OpenAI({ apiKey: h!.key.key, baseURL: `${h!.url}/v1`, maxRetries: 0, fetch: recording });
}

/** The SDK's body with its model part's value replaced, every other byte as it was (the recording's look-alike part included). */
function withModel(s: Sent, from: string, to: string): Buffer {
  const boundary = /boundary=(\S+)/.exec(s.contentType)![1]!;
  const text = s.body.toString('latin1');
  const part = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n`;
  expect(text.split(`${part}${from}\r\n`)).toHaveLength(2);
  return Buffer.from(text.replace(`${part}${from}\r\n`, `${part}${to}\r\n`), 'latin1');
}

/** The fake got the SDK's form with only the model's value changed: same boundary, files untouched. */
function expectFormSent(s: Sent, from: string, to: string): void {
  const up = h!.fake.requests.at(-1)!;
  expect(up.headers['content-type']).toBe(s.contentType);
  expect(up.body.toString('latin1')).toBe(withModel(s, from, to).toString('latin1'));
  expect(Number(up.headers['content-length'])).toBe(up.body.length);
}

const rewrite = (from: string, to: string): Partial<HarnessOptions['policy']> => ({
  rules: { budgets: [], rateLimits: [], modelPolicies: [{ id: 'p', name: null, scope: parseScope('org'), allow: null, deny: [], rewrites: [{ from, to }], allowKeep: true, source: 'config', createdAt: 0 }] },
});

describe('a form whose model a policy or a routing rule changes', () => {
  it('a transcription rewritten by model policy, streamed or not: only the model part changes', async () => {
    h = await startHarness({ price: createPricer(), policy: rewrite('gpt-4o-transcribe', 'gpt-4o-mini-transcribe') });
    const sent: Sent[] = [];
    const file = () => toFile(WAV, 'memo.wav', { type: 'audio/wav' });
    const { data, response } = await client(sent).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), language: 'en', prompt: 'A memo' }).withResponse();
    expect(data.text).toContain('quick brown fox');
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-4o-transcribe->gpt-4o-mini-transcribe');
    expectFormSent(sent[0]!, 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe');
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ modelRequested: 'gpt-4o-transcribe', model: 'gpt-4o-mini-transcribe', outcome: 'ok', usageSource: 'final' });

    const streamed = await client(sent).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), stream: true }).withResponse();
    let text = '';
    for await (const event of streamed.data) if (event.type === 'transcript.text.delta') text += event.delta;
    expect(text).toBe(data.text);
    expectFormSent(sent[1]!, 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe');
    expect(await h.row(streamed.response.headers.get('x-tollgate-request-id')!)).toMatchObject({ model: 'gpt-4o-mini-transcribe', stream: true, outcome: 'ok' });
  });

  it('a transcription a budget downgrades past its threshold', async () => {
    const budget = testBudget({ scope: 'org', window: 'day', limit_usd: '1', downgrade: { at_percent: 50, to: 'gpt-4o-mini-transcribe' } });
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const sent: Sent[] = [];
    const file = () => toFile(WAV, 'memo.wav', { type: 'audio/wav' });
    // 100,000 audio tokens of gpt-4o-transcribe at $6/M: $0.60, 60% of the day's $1.
    h.fake.setDefault({ usage: { input: 0, audioInput: 100_000, output: 0 } });
    await client(sent).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file() });
    await eventually(async () => expect((await counterOn(h!.tollgate, budget)).spent).toBe(600_000_000_000n));
    h.fake.setDefault({ usage: { input: 1, audioInput: 1, output: 1 } });
    const { response } = await client(sent).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await file(), language: 'en' }).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-4o-transcribe->gpt-4o-mini-transcribe');
    expectFormSent(sent[1]!, 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe');
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ model: 'gpt-4o-mini-transcribe', outcome: 'ok' });
  });

  it('a form with no model part is refused, not sent: the model policy chose cannot be named in it', async () => {
    h = await startHarness({ policy: rewrite('*', 'dall-e-2') });
    const sent: Sent[] = [];
    const refused = await client(sent).images.createVariation({ image: await toFile(PNG, 'door.png', { type: 'image/png' }) }).withResponse().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('text part named "model"');
    expect(h.fake.requests).toHaveLength(0);
  });

  it('an image edit moved by an enforced routing rule keeps its pictures and boundary', async () => {
    const rules: RoutingRule[] = [{ id: 'edits-to-mini', mode: 'enforce', match: { model: ['gpt-image-1'] }, action: { model: 'gpt-image-1-mini' } }];
    h = await startHarness({ price: createPricer(), routingRules: rules });
    h.fake.setDefault({ usage: { input: 50, imageInput: 323, output: 1_056 } });
    const sent: Sent[] = [];
    const image = await toFile(PNG, 'door.png', { type: 'image/png' });
    const { response } = await client(sent).images.edit({ model: 'gpt-image-1', image, prompt: 'Paint the door red' }).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-image-1->gpt-image-1-mini');
    expectFormSent(sent[0]!, 'gpt-image-1', 'gpt-image-1-mini');
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ model: 'gpt-image-1-mini', routeRule: 'edits-to-mini', outcome: 'ok' });
  });

  it('a translation on a route whose deployment knows the model by another name', async () => {
    h = await startHarness({ routing: (url) => routingFrom({ routes: [{ model: 'whisper-1', deployments: [{ provider: 'openai', name: 'speech', model: 'whisper-large' }] }] }, defaultProviders(url)) });
    const sent: Sent[] = [];
    const { data } = await client(sent).audio.translations.create({ model: 'whisper-1', file: await toFile(WAV, 'memo.wav', { type: 'audio/wav' }) }).withResponse();
    expect(data.text).toContain('quick brown fox');
    expectFormSent(sent[0]!, 'whisper-1', 'whisper-large');
  });

  it('a form with no model part is not sent to a deployment that knows its model by another name', async () => {
    h = await startHarness({ routing: (url) => routingFrom({ routes: [{ model: '*', deployments: [{ provider: 'openai', name: 'images', model: 'dall-e-2' }] }] }, defaultProviders(url)) });
    const sent: Sent[] = [];
    const refused = await client(sent).images.createVariation({ image: await toFile(PNG, 'door.png', { type: 'image/png' }) }).withResponse().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(h.fake.requests).toHaveLength(0);
    const id = (refused as InstanceType<typeof OpenAI.BadRequestError>).headers.get('x-tollgate-request-id')!;
    expect(await h.row(id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_request', attempts: 0 });
  });

  it('a form under a budget that enforces max tokens goes as it was sent: it has no output cap to lower', async () => {
    const budget = testBudget({ scope: 'org', window: 'day', limit_usd: '100', enforce_max_tokens: true });
    h = await startHarness({ price: createPricer(), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const sent: Sent[] = [];
    const { data } = await client(sent).audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await toFile(WAV, 'memo.wav', { type: 'audio/wav' }) }).withResponse();
    expect(data.text).toContain('quick brown fox');
    const up = h.fake.requests.at(-1)!;
    expect(up.headers['content-type']).toBe(sent[0]!.contentType);
    expect(up.body.equals(sent[0]!.body)).toBe(true);
  });
});
