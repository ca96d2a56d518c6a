import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { useHarness } from '../support/harness.js';
import { PIECES, STREAMED, TEXT, anthropicPieces, cutRow, readThenAbort, responsesPieces, sse } from '../support/cut-stream.js';
import { translatingProviders } from '../support/translating-providers.js';

// A client served by a provider of another dialect reads the translated stream; when it leaves
// mid-answer, the row is billed for what the provider streamed, measured on the provider's own events.

describe('a translated stream the client cuts mid-answer is billed for the text it was sent', () => {
  const h = useHarness({ providers: translatingProviders });

  it('an OpenAI chat client served by an Anthropic provider: output is the streamed text, not the 1 token of message_start', async () => {
    const events = anthropicPieces();
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.chat.completions.create({ model: 'claude-sonnet-5-5', stream: true, messages: [{ role: 'user', content: 'write' }] }, { signal }),
      (c) => c.choices[0]?.delta.content ?? '',
    );
    expect(got).toBe(TEXT);
    expect(h.fake.requests[0]!.path).toBe('/v1/messages');
    const row = await cutRow(h);
    expect(row).toMatchObject({ api: 'openai.chat', outcome: 'client_aborted', usageSource: 'partial', inputTokens: 40, outputTokens: STREAMED });
  });

  it('an Anthropic client served by an OpenAI-style provider: output is estimated from the chat content', async () => {
    const chunk = (delta: object) => ({ id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'qwen3-coder', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] });
    const events = [sse(chunk({ role: 'assistant', content: '' })), ...PIECES.map((content) => sse(chunk({ content })))];
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.messages.create({ model: 'qwen3-coder', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'write' }] }, { signal }),
      (e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''),
    );
    expect(got).toBe(TEXT);
    expect(h.fake.requests[0]!.path).toBe('/v1/chat/completions');
    const row = await cutRow(h);
    expect(row).toMatchObject({ api: 'anthropic.messages', outcome: 'client_aborted', usageSource: 'estimated', outputTokens: STREAMED });
    expect(row.inputTokens).toBeGreaterThan(0);
  });

  it('an Anthropic client served by an OpenAI-style provider that sends two whole tool calls in one chunk: both are estimated', async () => {
    const args = (i: number) => JSON.stringify({ path: PIECES.slice(i * 12, i * 12 + 12).join('') });
    const chunk = (delta: object) => ({ id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'qwen3-coder', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] });
    const calls = [0, 1].map((i) => ({ index: i, id: `call_${i}`, type: 'function', function: { name: 'Read', arguments: args(i) } }));
    const events = [sse(chunk({ role: 'assistant', content: null })), sse(chunk({ tool_calls: calls }))];
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const ac = new AbortController();
    let stops = 0;
    try {
      const tools = [{ name: 'Read', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } }];
      for await (const e of await client.messages.create({ model: 'qwen3-coder', max_tokens: 4096, stream: true, tools, messages: [{ role: 'user', content: 'read' }] }, { signal: ac.signal })) {
        // The second call's block opens once the first one's closes.
        if (e.type === 'content_block_stop') stops++;
        if (e.type === 'content_block_delta' && e.index === 1) ac.abort();
      }
    } catch {
      /* aborted */
    }
    expect(stops).toBe(1);
    const row = await cutRow(h);
    const sent = JSON.stringify(args(0)).length - 2 + JSON.stringify(args(1)).length - 2;
    expect(row).toMatchObject({ api: 'anthropic.messages', outcome: 'client_aborted', usageSource: 'estimated', outputTokens: tokensOfChars(sent) });
  });

  it('a Responses-shaped chat request (Cursor) served by the Responses API: output is estimated from the Responses deltas', async () => {
    const events = responsesPieces();
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const body = { model: 'gpt-5', stream: true, input: [{ role: 'user', content: 'write' }] } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
    const got = await readThenAbort(
      (signal) => client.chat.completions.create(body, { signal }),
      (c) => c.choices[0]?.delta.content ?? '',
    );
    expect(got).toBe(TEXT);
    expect(h.fake.requests[0]!.path).toBe('/v1/responses');
    const row = await cutRow(h);
    expect(row).toMatchObject({ api: 'openai.chat', outcome: 'client_aborted', usageSource: 'estimated', outputTokens: STREAMED });
  });
});
