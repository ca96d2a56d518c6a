import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TO_OPENAI, events, plan, providerFixture, translateChunks } from '../testing.js';
import { isResponsesShapedChat } from '../../providers/openai/request.js';

/** What Cursor sends to /v1/chat/completions with its OpenAI base URL overridden (forum.cursor.com, 2026). */
const cursorRequest = (stream: boolean) => ({
  model: 'gpt-5.6',
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'weather in Oslo?' }] }],
  stream,
  include: ['reasoning.encrypted_content'],
  reasoning: { effort: 'medium', summary: 'auto' },
  text: { verbosity: 'low' },
  store: false,
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
  stream_options: { include_usage: true },
});

type Chunk = { id: string; object: string; model: string; choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, unknown> | null };

describe('a Responses-shaped chat request', () => {
  it('is told apart from a chat request by its input and missing messages', () => {
    expect(isResponsesShapedChat(cursorRequest(true))).toBe(true);
    expect(isResponsesShapedChat({ model: 'm', messages: [], input: 'x' })).toBe(false);
    expect(isResponsesShapedChat({ model: 'm', messages: [] })).toBe(false);
    expect(isResponsesShapedChat(['input'])).toBe(false);
    expect(isResponsesShapedChat(null)).toBe(false);
  });

  it('goes to the Responses API as it is, less the chat-only stream options', () => {
    const t = plan('openai.chat', cursorRequest(true), TO_OPENAI);
    expect(t.upstreamApi).toBe('openai.responses');
    expect(t.upstreamPath).toBe('/v1/responses');
    const { stream_options: _dropped, ...rest } = cursorRequest(true);
    expect(t.body).toEqual(rest);
  });

  it('is answered as chat chunks: role, tool call, text, finish, usage, [DONE]', () => {
    const out = translateChunks(plan('openai.chat', cursorRequest(true), TO_OPENAI), [providerFixture('openai', 'responses-stream.sse')], { contentType: 'text/event-stream', stream: true });
    const evs = events(out.text);
    expect(evs.every((e) => e.event === undefined)).toBe(true);
    expect(evs.at(-1)!.data).toBe('[DONE]');
    const chunks = evs.slice(0, -1).map((e) => e.data as Chunk);
    for (const c of chunks) {
      expect(c).toMatchObject({ id: 'chatcmpl-resp_68f1c1', object: 'chat.completion.chunk', model: 'gpt-5.6-luna-2026-10-14' });
    }
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta));
    const calls = deltas.flatMap((d) => (d.tool_calls as { index: number; id?: string; function: { name?: string; arguments: string } }[] | undefined) ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'call_R1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.map((c) => c.function.arguments).join('')).toBe('{"city":"Oslo"}');
    expect(calls.every((c) => c.index === 0)).toBe(true);
    const text = deltas.map((d) => (typeof d.content === 'string' ? d.content : '')).join('');
    expect(text).toBe('Looking up Oslo — one moment… "type":"response.completed"');
    const finish = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
    expect(finish).toEqual(['tool_calls']);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: 6400, completion_tokens: 352, total_tokens: 6752, prompt_tokens_details: { cached_tokens: 5120, cache_write_tokens: 1200 }, completion_tokens_details: { reasoning_tokens: 256 } });
    // The ledger reads the Responses usage from the untranslated bytes.
    expect(out.metered.usage).toMatchObject({ inputTokens: 6400, cacheReadTokens: 5120, outputTokens: 352, reasoningTokens: 256, toolCalls: 1 });
    expect(out.metered.responseId).toBe('chatcmpl-resp_68f1c1');
  });

  it('leaves the usage chunk out unless the client asked for it', () => {
    const { stream_options: _none, ...body } = cursorRequest(true);
    const out = translateChunks(plan('openai.chat', body, TO_OPENAI), [providerFixture('openai', 'responses-stream.sse')], { contentType: 'text/event-stream', stream: true });
    const chunks = events(out.text).slice(0, -1).map((e) => e.data as Chunk);
    expect(chunks.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
  });

  it('ends a failed Response with the chat in-stream error and no [DONE]', () => {
    const out = translateChunks(plan('openai.chat', cursorRequest(true), TO_OPENAI), [providerFixture('openai', 'responses-stream-failed.sse')], { contentType: 'text/event-stream', stream: true });
    const evs = events(out.text);
    expect(evs.at(-1)!.data).toEqual({ error: { message: 'An error occurred while processing your request.', type: 'server_error', param: null, code: 'server_error' } });
    expect(evs.some((e) => e.data === '[DONE]')).toBe(false);
    expect(out.metered.error?.type).toBe('server_error');
  });

  it('is answered as a chat completion when not streamed, custom tool calls as function calls with their raw input', () => {
    const bytes = readFileSync(new URL('../../providers/openai/fixtures/responses.json', import.meta.url));
    const out = translateChunks(plan('openai.chat', cursorRequest(false), TO_OPENAI), [bytes], { contentType: 'application/json', stream: false });
    expect(out.status).toBe(200);
    expect(JSON.parse(out.text)).toEqual({
      id: 'chatcmpl-resp_68f1c0a9e2b4',
      object: 'chat.completion',
      created: 1795001000,
      model: 'gpt-5.6-sol-2026-09-30',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking.',
            refusal: null,
            tool_calls: [
              { id: 'call_Q1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_Q2', type: 'function', function: { name: 'run_sql', arguments: 'SELECT 1' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 12000, completion_tokens: 900, total_tokens: 12900, prompt_tokens_details: { cached_tokens: 8000, cache_write_tokens: 3000 }, completion_tokens_details: { reasoning_tokens: 600 } },
      service_tier: expect.any(String),
      system_fingerprint: null,
    });
  });

  it('passes an upstream error through as the client dialect is the same', () => {
    const body = '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}';
    const out = translateChunks(plan('openai.chat', cursorRequest(false), TO_OPENAI), [Buffer.from(body)], { status: 429, contentType: 'application/json', stream: false });
    expect(out.status).toBe(429);
    expect(out.text).toBe(body);
  });
});
