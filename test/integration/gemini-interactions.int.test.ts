import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { cutRow } from '../support/cut-stream.js';
import { useHarness } from '../support/harness.js';
import { FREE_ROW, sameBytes } from '../support/sdk-bytes.js';

/**
 * Gemini's Interactions API through `@google/genai`'s `client.interactions`: each create forwarded
 * as sent and metered from the usage its answer reports (thinking as output, cache reads apart).
 */
const h = useHarness();

// 100 uncached and 40 cached prompt tokens, 20 of output and 10 of thinking: total_input_tokens 140, total_output_tokens 20, total_thought_tokens 10.
const USAGE = { input: 100, cacheRead: 40, output: 30, reasoning: 10 };
const METERED = { inputTokens: 140, cacheReadTokens: 40, outputTokens: 30, reasoningTokens: 10, usageSource: 'final', costPicos: 140n + 300n, unpriced: false };

describe('Gemini interactions through Tollgate', () => {
  const client = () => new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-goog-api-key': h.key.key }) =>
    fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('interactions.create: the answer comes back as the SDK reads it, one row priced from its usage', async () => {
    h.fake.script({ usage: USAGE, text: 'Hello there.' });
    const got = await client().interactions.create({ model: 'gemini-2.5-flash', input: 'Say hello.' });
    expect(got.output_text).toBe('Hello there.');
    expect(got.usage?.total_cached_tokens).toBe(40);
    const [up] = await h.fake.waitForRequests(1);
    expect(up).toMatchObject({ method: 'POST', path: '/v1beta/interactions', route: 'gemini.interactions.create' });
    expect(up!.headers['x-goog-api-key']).toBe('gm-upstream');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.interactions', provider: 'gemini', model: 'gemini-2.5-flash', outcome: 'ok', status: 200, responseId: got.id, ...METERED });
  });

  it('a streamed create through the SDK: every event reaches it, the row is metered from interaction.completed', async () => {
    h.fake.script({ usage: USAGE, text: 'One two three four.' });
    const types: string[] = [];
    let text = '';
    for await (const e of await client().interactions.create({ model: 'gemini-2.5-flash', input: 'Count.', stream: true })) {
      types.push(e.event_type);
      if (e.event_type === 'step.delta' && e.delta.type === 'text') text += e.delta.text;
    }
    expect(text).toBe('One two three four.');
    expect(types[0]).toBe('interaction.created');
    expect(types.at(-1)).toBe('interaction.completed');
    const [up] = await h.fake.waitForRequests(1);
    expect(up!.headers.accept).toBe('text/event-stream');
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.interactions', model: 'gemini-2.5-flash', outcome: 'ok', ...METERED });
    expect(row!.responseId).toMatch(/^v1_/);
  });

  it('the stable API version (api_version v1), and a key in ?key=, byte for byte, streamed or not', async () => {
    h.fake.script({ usage: USAGE });
    await client().interactions.create({ model: 'gemini-2.5-pro', input: 'x', api_version: 'v1' });
    const [up] = await h.fake.waitForRequests(1);
    expect(up!.path).toBe('/v1/interactions');
    expect((await h.rows())[0]).toMatchObject({ api: 'gemini.interactions', model: 'gemini-2.5-pro', ...METERED });
    for (const stream of [false, true]) {
      h.fake.reset();
      await h.mark();
      h.fake.script({ usage: USAGE });
      const res = await post(`/v1beta/interactions?key=${h.key.key}`, { model: 'gemini-2.5-flash', input: 'x', stream }, {});
      expect(res.status).toBe(200);
      const sent = await sameBytes(h, res);
      // The Tollgate key is taken out of the query; the configured key goes where Gemini expects one.
      expect(sent.query.key).toBeUndefined();
      expect(sent.headers['x-goog-api-key']).toBe('gm-upstream');
      expect((await h.rows())[0]).toMatchObject({ api: 'gemini.interactions', ...METERED });
    }
  });

  it('a stream cut before interaction.completed is truncated, its output estimated from the deltas sent', async () => {
    h.fake.script({ usage: USAGE, text: 'aaaa bbbb cccc dddd', chunks: 4, cutAfterEvents: 4 });
    const res = await post('/v1beta/interactions', { model: 'gemini-2.5-flash', input: 'x', stream: true });
    await res.text().catch(() => '');
    const [row] = await h.rows();
    // The created event, the step's start and two deltas of five characters each came through.
    expect(row).toMatchObject({ api: 'gemini.interactions', outcome: 'truncated', usageSource: 'estimated', outputTokens: tokensOfChars(10) });
    expect(row!.inputTokens).toBeGreaterThan(0);
  });

  it('a client that leaves mid-stream is client_aborted, billed for what it was sent', async () => {
    h.fake.script({ usage: USAGE, text: 'aaaa bbbb cccc dddd', chunks: 4, stallAfterEvents: 6 });
    const ac = new AbortController();
    let text = '';
    try {
      for await (const e of await client().interactions.create({ model: 'gemini-2.5-flash', input: 'x', stream: true }, { signal: ac.signal })) {
        if (e.event_type === 'step.delta' && e.delta.type === 'text') text += e.delta.text;
        if (text.length === 19) ac.abort();
      }
    } catch {
      /* aborted */
    }
    expect(text).toBe('aaaa bbbb cccc dddd');
    const row = await cutRow(h);
    expect(row).toMatchObject({ api: 'gemini.interactions', outcome: 'client_aborted', outputTokens: tokensOfChars(19) });
  });

  it('get, cancel and delete go through as free rows', async () => {
    h.fake.script({ usage: USAGE });
    const made = await client().interactions.create({ model: 'gemini-2.5-flash', input: 'x' });
    await h.mark();
    expect((await client().interactions.get(made.id)).id).toBe(made.id);
    expect((await client().interactions.cancel(made.id)).status).toBe('cancelled');
    // A lookup asked as a stream (`?stream=true`) is free too, and its end is no cut.
    const streamed = await fetch(`${h.url}/v1beta/interactions/${made.id}?stream=true`, { headers: { 'x-goog-api-key': h.key.key } });
    expect(streamed.status).toBe(200);
    await streamed.arrayBuffer();
    await client().interactions.delete(made.id);
    const ups = await h.fake.waitForRequests(5);
    expect(ups.slice(1).map((u) => [u.method, u.path])).toEqual([
      ['GET', `/v1beta/interactions/${made.id}`],
      ['POST', `/v1beta/interactions/${made.id}/cancel`],
      ['GET', `/v1beta/interactions/${made.id}`],
      ['DELETE', `/v1beta/interactions/${made.id}`],
    ]);
    const rows = await h.rows();
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r).toMatchObject({ ...FREE_ROW, api: 'gemini.interactions_lookup' });
  });
});
