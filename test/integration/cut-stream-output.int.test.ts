import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type HarnessOptions, useHarness } from '../support/harness.js';
import { PIECES, STREAMED, TEXT, anthropicPieces, cutRow, readThenAbort, responsesPieces, sse } from '../support/cut-stream.js';

// A user who presses Esc mid-answer (Claude Code, Codex) cuts the stream before the provider's final
// usage, yet the provider bills every token it generated until the cancel: the row counts at least
// the text the client was sent, at four characters a token.

const SCHEMA = `tg_cut_stream_output_${process.pid}`;
afterAll(() => dropSchemas([SCHEMA]));
const STORES: [string, HarnessOptions][] = [
  ['SQLite', {}],
  ['Postgres', { storage: async (): Promise<Storage> => (await dropSchemas([SCHEMA]), openPostgres({ url: TEST_PG_URL, schema: SCHEMA })) }],
];

describe.each(STORES)('a stream the client cuts mid-answer is billed for the text it was sent (%s)', (_name, o) => {
  const h = useHarness(o);

  /** The cut row of an API whose input the gateway estimated too (nothing reported before the cut). */
  async function expectEstimated() {
    const row = await cutRow(h);
    expect(row).toMatchObject({ outcome: 'client_aborted', usageSource: 'estimated', outputTokens: STREAMED });
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.costPicos).toBe(BigInt(row.inputTokens + 10 * STREAMED));
  }

  it('Anthropic Messages through the Anthropic SDK: output is the streamed text, not the 1 token of message_start', async () => {
    const events = anthropicPieces();
    // The upstream goes quiet after the deltas, as a model still thinking does; the user cancels.
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: 'write' }] }, { signal }),
      (e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : ''),
    );
    expect(got).toBe(TEXT);
    const row = await cutRow(h);
    expect(row).toMatchObject({ outcome: 'client_aborted', usageSource: 'partial', inputTokens: 40, outputTokens: STREAMED, costPicos: BigInt(40 + 10 * STREAMED) });
  });

  it('OpenAI chat through the openai SDK: cut before its usage chunk, output is estimated from the content', async () => {
    const chunk = (delta: object, finish: string | null) => ({ id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'gpt-5', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
    const events = [sse(chunk({ role: 'assistant', content: '' }, null)), ...PIECES.map((content) => sse(chunk({ content }, null)))];
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'write' }] }, { signal }),
      (c) => c.choices[0]?.delta.content ?? '',
    );
    expect(got).toBe(TEXT);
    await expectEstimated();
  });

  it('OpenAI Responses through the openai SDK: cut before response.completed, output is estimated from the deltas', async () => {
    const events = responsesPieces();
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.responses.create({ model: 'gpt-5', stream: true, input: 'write' }, { signal }),
      (e) => (e.type === 'response.output_text.delta' ? e.delta : ''),
    );
    expect(got).toBe(TEXT);
    await expectEstimated();
  });

  it('OpenAI chat through the openai SDK: parallel tool calls whose arguments come whole in one chunk are all estimated', async () => {
    const args = (i: number) => JSON.stringify({ path: PIECES.slice(i * 12, i * 12 + 12).join('') });
    const chunk = (delta: object) => ({ id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'gpt-5', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], usage: null });
    const calls = [0, 1].map((i) => ({ index: i, id: `call_${i}`, type: 'function', function: { name: 'Read', arguments: args(i) } }));
    const events = [sse(chunk({ role: 'assistant', content: null })), sse(chunk({ tool_calls: calls }))];
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const ac = new AbortController();
    let got = 0;
    try {
      for await (const c of await client.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'read' }] }, { signal: ac.signal })) {
        got += c.choices[0]?.delta.tool_calls?.length ?? 0;
        if (got === 2) ac.abort();
      }
    } catch {
      /* aborted */
    }
    expect(got).toBe(2);
    const row = await cutRow(h);
    // Both arguments as sent, JSON-escaped inside the chunk.
    const sent = JSON.stringify(args(0)).length - 2 + JSON.stringify(args(1)).length - 2;
    expect(row).toMatchObject({ outcome: 'client_aborted', usageSource: 'estimated', outputTokens: tokensOfChars(sent) });
  });

  it('Gemini through the genai SDK: the running usage before the last chunk has no output count; output is estimated from the parts', async () => {
    const events = PIECES.map((text) => sse({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 }, modelVersion: 'gemini-2.5-pro', responseId: 'r-cut' }));
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const got = await readThenAbort(
      (signal) => client.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'write', config: { abortSignal: signal } }),
      (r) => r.text ?? '',
    );
    expect(got).toBe(TEXT);
    const row = await cutRow(h);
    expect(row).toMatchObject({ api: 'gemini.generate', outcome: 'client_aborted', usageSource: 'partial', inputTokens: 40, outputTokens: STREAMED });
  });
});
