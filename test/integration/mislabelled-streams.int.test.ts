import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

// Some OpenAI-compatible servers, and the proxies in front of them, label their event streams
// `text/plain` or `application/json` (vllm-ascend's load-balancing proxy, ramalama's RAG proxy).
// The SDKs read such an answer as the stream it is; so must the gateway, or the request is billed
// at an estimated input with no output, and an OpenAI client gets the usage chunk it never asked for.

const h = useHarness();
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(() => {
  openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
});

const LABELS = ['text/plain; charset=utf-8', 'application/json'];
const usage = { input: 400, cacheRead: 1200, output: 75 };

describe('a streamed answer its server does not label as events', () => {
  it.each(LABELS)('chat (%s): the usage the gateway asked for is read and hidden, as with a labelled stream', async (label) => {
    h.fake.script({ headers: { 'content-type': label }, usage, text: 'Bonjour tout le monde' });
    const { data: stream, response } = await openai.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Bonjour tout le monde');
    // The client did not ask for usage: no usage-only chunk (choices: []) reaches it.
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true);
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ stream: true, outcome: 'ok', usageSource: 'final', inputTokens: 1600, cacheReadTokens: 1200, outputTokens: 75 });
  });

  it.each(LABELS)('Responses (%s): usage from response.completed', async (label) => {
    h.fake.script({ headers: { 'content-type': label }, usage });
    const { data: stream, response } = await openai.responses.create({ model: 'gpt-5', stream: true, input: 'hi' }).withResponse();
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types.at(-1)).toBe('response.completed');
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 1600, cacheReadTokens: 1200, outputTokens: 75 });
  });

  it.each(LABELS)('Anthropic Messages (%s): message_start overlaid by message_delta', async (label) => {
    h.fake.script({ headers: { 'content-type': label }, usage: { input: 12, cacheRead: 3000, cacheWrite1h: 2000, output: 150 }, toolCalls: 1 });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(150);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 5012, cacheReadTokens: 3000, cacheWrite1hTokens: 2000, outputTokens: 150, toolCalls: 1 });
  });

  it('a server that answers a streamed request with one JSON body, after white space, is read as that body', async () => {
    const completion = {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34 },
    };
    h.fake.script({ headers: { 'content-type': 'text/plain' }, events: ['\n', ` ${JSON.stringify(completion)}`] });
    const res = await request(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    // Passed on as it came, white space included.
    expect(await res.body.text()).toBe(`\n ${JSON.stringify(completion)}`);
    expect(await h.row(res.headers['x-tollgate-request-id'] as string)).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 30, outputTokens: 4 });
  });
});
