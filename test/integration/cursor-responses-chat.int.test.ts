import OpenAI from 'openai';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import type { Stream } from 'openai/streaming';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let client: OpenAI;

beforeAll(() => {
  client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
});

/** The body Cursor's agent sends to /v1/chat/completions with its OpenAI base URL overridden: a Responses request. */
function cursorBody(stream: boolean, extra: Record<string, unknown> = {}) {
  return {
    model: 'gpt-5',
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is in a.txt?' }] }],
    stream,
    include: ['reasoning.encrypted_content'],
    reasoning: { effort: 'medium', summary: 'auto' },
    text: { verbosity: 'low' },
    store: false,
    tools: [{ type: 'function', name: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    ...extra,
  };
}

describe('a Responses request sent to chat completions (Cursor with its OpenAI base URL overridden)', () => {
  it('is served by the Responses API and streamed back as chat chunks the OpenAI SDK assembles, tool call and usage included', async () => {
    h.fake.setDefault({ usage: { input: 900, cacheRead: 4096, output: 210, reasoning: 120 }, toolCalls: 1 });
    const { data: chunks, response: res } = await client.post<Stream<OpenAI.ChatCompletionChunk>>('/chat/completions', { body: cursorBody(true), stream: true, headers: { 'openai-project': 'proj_1' } }).withResponse();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-tollgate-translated')).toBe('responses');
    let usage: OpenAI.CompletionUsage | undefined;
    // The SDK's own accumulator checks the chunks fit together (ids, tool call indexes, deltas).
    const stream = ChatCompletionStream.fromReadableStream(chunks.toReadableStream()).on('chunk', (c) => (usage = c.usage ?? usage));
    const done = await stream.finalChatCompletion();
    const message = done.choices[0]!.message;
    expect(done.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBeTruthy();
    expect(usage).toMatchObject({ prompt_tokens: 4996, completion_tokens: 210, prompt_tokens_details: { cached_tokens: 4096 }, completion_tokens_details: { reasoning_tokens: 120 } });

    // Upstream, it was a Responses request: the same body less the chat-only stream options, with the provider's key.
    const up = h.fake.requests[0]!;
    expect(up.path).toBe('/v1/responses');
    const { stream_options: _chatOnly, ...sent } = cursorBody(true);
    expect(up.json).toEqual(sent);
    expect(up.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(up.headers['openai-project']).toBe('proj_1');

    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ api: 'openai.chat', provider: 'openai', stream: true, status: 200, outcome: 'ok', inputTokens: 4996, cacheReadTokens: 4096, outputTokens: 210, reasoningTokens: 120, toolCalls: 1, usageSource: 'final', tags: { translated: 'responses' } });
    expect(row.costPicos).not.toBeNull();
  });

  it('answers a chat completion when not streamed', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 40 } });
    const done = (await client.post('/chat/completions', { body: cursorBody(false) })) as OpenAI.ChatCompletion;
    expect(done.object).toBe('chat.completion');
    expect(done.choices[0]!.message.content).toEqual(expect.any(String));
    expect(done.choices[0]!.finish_reason).toBe('stop');
    expect(done.usage).toMatchObject({ prompt_tokens: 300, completion_tokens: 40 });
    expect(h.fake.requests[0]!.path).toBe('/v1/responses');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.chat', stream: false, inputTokens: 300, outputTokens: 40, outcome: 'ok', tags: { translated: 'responses' } });
  });

  it('passes the provider error through in its own format', async () => {
    h.fake.setDefault({ status: 429, error: { message: 'Rate limit reached for gpt-5', type: 'requests', code: 'rate_limit_exceeded' } });
    const err = (await client.post('/chat/completions', { body: cursorBody(false) }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain('Rate limit reached for gpt-5');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.chat', status: 429, outcome: 'upstream_error' });
  });

  it('leaves a real chat request alone', async () => {
    await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(h.fake.requests[0]!.path).toBe('/v1/chat/completions');
    const [row] = await h.rows();
    expect(row!.tags.translated).toBeUndefined();
  });
});
