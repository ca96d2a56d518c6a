import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

// A Response cut by max_output_tokens (or a content filter) ends with `response.incomplete`, whose
// Response carries the usage as `response.completed`'s does: gateways that read usage from
// `response.completed` alone recorded such a stream as free (envoyproxy/ai-gateway #2184).

const h = useHarness();
const client = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

const response = (status: string, usage: unknown) => ({
  id: 'resp_inc1', object: 'response', created_at: 1, status, model: 'gpt-5-2025-08-07', output: [], usage,
  incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
});
const event = (type: string, seq: number, rest: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...rest })}\n\n`;
const usage = { input_tokens: 5000, input_tokens_details: { cached_tokens: 4000 }, output_tokens: 256, output_tokens_details: { reasoning_tokens: 200 }, total_tokens: 5256 };

describe('a Response that ends incomplete', () => {
  it('streamed: billed from response.incomplete, as a complete answer', async () => {
    h.fake.script({
      events: [
        event('response.created', 0, { response: response('in_progress', null) }),
        event('response.output_item.added', 1, { output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
        event('response.output_text.delta', 2, { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Partial' }),
        event('response.incomplete', 3, { response: response('incomplete', usage) }),
      ],
    });
    const { data: stream, response: res } = await client().responses.create({ model: 'gpt-5', stream: true, input: 'write a lot', max_output_tokens: 256 }).withResponse();
    let last: string | undefined;
    for await (const e of stream) last = e.type;
    expect(last).toBe('response.incomplete');
    expect(await h.row(res.headers.get('x-tollgate-request-id')!)).toMatchObject({
      model: 'gpt-5-2025-08-07', outcome: 'ok', usageSource: 'final', inputTokens: 5000, cacheReadTokens: 4000, outputTokens: 256, reasoningTokens: 200,
    });
  });

  it('whole: billed from its usage', async () => {
    h.fake.script({ body: response('incomplete', usage) });
    const { data, response: res } = await client().responses.create({ model: 'gpt-5', input: 'write a lot', max_output_tokens: 256 }).withResponse();
    expect(data.status).toBe('incomplete');
    expect(await h.row(res.headers.get('x-tollgate-request-id')!)).toMatchObject({ outcome: 'ok', usageSource: 'final', inputTokens: 5000, cacheReadTokens: 4000, outputTokens: 256 });
  });
});
