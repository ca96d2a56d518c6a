import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let client: OpenAI;

beforeAll(() => {
  client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
});

/** What the fake sends for this exact request when asked directly (it is deterministic). */
async function direct(body: unknown): Promise<Buffer> {
  const res = await fetch(`${h.fake.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return Buffer.from(await res.arrayBuffer());
}

/** The legacy Completions API (code completion, local servers) through the openai SDK. */
describe('text completions through the OpenAI SDK', () => {
  it('non-streaming: the provider’s bytes, exact usage and cost in the ledger', async () => {
    h.fake.script({ usage: { input: 200, cacheRead: 64, output: 16 }, model: 'gpt-3.5-turbo-instruct-0914' });
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'def add(a, b):', max_tokens: 16 }).asResponse();
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(JSON.parse(got.toString())).toMatchObject({ object: 'text_completion', usage: { prompt_tokens: 264, completion_tokens: 16 } });
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    // The test price: a pico per input token, ten per output token.
    expect(row).toMatchObject({ api: 'openai.completions', model: 'gpt-3.5-turbo-instruct-0914', modelRequested: 'gpt-3.5-turbo-instruct', stream: false, inputTokens: 264, outputTokens: 16, usageSource: 'final', costPicos: 424n });
  });

  it('streamed without include_usage: usage asked for upstream and stripped, the client gets the provider’s bytes', async () => {
    h.fake.setDefault({ usage: { input: 40, output: 9 } });
    const body = { model: 'gpt-3.5-turbo-instruct', prompt: 'fn main() {', stream: true, max_tokens: 9 };
    const res = await client.completions.create(body as OpenAI.CompletionCreateParamsStreaming).asResponse();
    const got = Buffer.from(await res.arrayBuffer());
    expect((h.fake.requests[0]!.json as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage).toBe(true);
    expect(got.toString()).not.toContain('"usage"');
    expect(got.equals(await direct(body))).toBe(true);
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ api: 'openai.completions', stream: true, outcome: 'ok', inputTokens: 40, outputTokens: 9, usageSource: 'final' });
  });

  it('streamed with include_usage: forwarded untouched and read by the SDK', async () => {
    h.fake.setDefault({ usage: { input: 12, output: 5 } });
    const params = { model: 'gpt-3.5-turbo-instruct', prompt: 'x', stream: true as const, stream_options: { include_usage: true } };
    const stream = await client.completions.create(params);
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
    // Asked for by the client: the body went upstream as it was, nothing added.
    expect(h.fake.requests[0]!.json).toEqual(params);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.completions', stream: true, inputTokens: 12, outputTokens: 5, usageSource: 'final' });
  });
});

describe('moderations through the OpenAI SDK', () => {
  it('are served, free: a row that costs nothing, whatever the model', async () => {
    const { data, response } = await client.moderations.create({ input: ['fine', 'also fine'] }).withResponse();
    expect(data.results).toHaveLength(2);
    expect(h.fake.requests[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ api: 'openai.moderations', modelRequested: '', status: 200, outcome: 'ok', costPicos: 0n, inputTokens: 0 });
  });
});
