import { describe, expect, it } from 'vitest';
import { events, plan, providerFixture, translateChunks } from '../testing.js';

const streamed = (file: string, includeUsage = true) =>
  translateChunks(plan('openai.chat', { model: 'claude-opus-5-5', stream: true, stream_options: { include_usage: includeUsage }, messages: [{ role: 'user', content: 'hi' }] }), [providerFixture('anthropic', file)], { contentType: 'text/event-stream', stream: true });

type Chunk = { choices: { delta: { content?: string; tool_calls?: { index: number; id?: string; function: { name?: string; arguments: string } }[] }; finish_reason: string | null }[]; usage?: Record<string, unknown> | null };

describe('Anthropic events → OpenAI chat chunks', () => {
  it('a stream that ends before message_stop, or with nothing readable, ends with the chat error chunk, not in silence', () => {
    const cut = (text: string) =>
      translateChunks(plan('openai.chat', { model: 'claude-opus-5-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }), [Buffer.from(text)], { contentType: 'text/event-stream', stream: true });
    for (const body of ['data: {garbage\n\n', 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-5-5","usage":{"input_tokens":5}}}\n\n']) {
      const ev = events(cut(body).text);
      expect(ev.at(-1)!.data).toEqual({ error: { message: 'The upstream stream ended before it was complete: the answer is cut short.', type: 'server_error', param: null, code: 'upstream_disconnected' } });
      expect(ev.some((e) => e.data === '[DONE]')).toBe(false);
    }
  });

  it('thinking hidden, text and tool_calls deltas, finish reason, usage chunk, [DONE]', () => {
    const r = streamed('message-stream.sse');
    const ev = events(r.text);
    expect(ev.every((e) => e.event === undefined)).toBe(true);
    expect(ev.at(-1)!.data).toBe('[DONE]');
    const chunks = ev.slice(0, -1).map((e) => e.data as Chunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const text = chunks.flatMap((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Je vérifie la météo 🌤');
    expect(r.text).not.toContain('I need the weather');
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'toolu_01T1x1nJ', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.map((c) => c.function.arguments).join('')).toBe('{"city": "Paris"}');
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]!.finish_reason).toBe('tool_calls');
    expect(finish.usage).toBeNull();
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    // 120 uncached + 3000 written + 20000 read; thinking inside output.
    expect(usage.usage).toEqual({ prompt_tokens: 23120, completion_tokens: 850, total_tokens: 23970, prompt_tokens_details: { cached_tokens: 20000, cache_write_tokens: 3000 }, completion_tokens_details: { reasoning_tokens: 500 } });
    // A ping became an SSE comment.
    expect(r.text).toContain(': ping\n\n');
    expect(r.metered).toMatchObject({ usageSource: 'final', sawEnd: true, usage: { inputTokens: 23120, outputTokens: 850, toolCalls: 1 } });
  });

  it('without include_usage: no usage chunk and no usage member, as OpenAI does', () => {
    const ev = events(streamed('message-stream.sse', false).text);
    const chunks = ev.slice(0, -1).map((e) => e.data as Chunk);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('an overloaded error event becomes OpenAI’s in-stream error, without [DONE]', () => {
    const r = streamed('message-stream-overloaded.sse');
    const ev = events(r.text);
    expect(ev.at(-1)!.data).toEqual({ error: { message: 'Overloaded', type: 'service_unavailable_error', param: null, code: 'overloaded_error' } });
    expect(r.text).not.toContain('[DONE]');
    expect(r.metered.error?.type).toBe('overloaded_error');
  });
});
