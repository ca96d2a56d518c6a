import { describe, expect, it } from 'vitest';
import { tokensOfChars } from '../../src/core/usage.js';
import { createPricer } from '../../src/pricing/index.js';
import { useHarness } from '../support/harness.js';

/**
 * A complete answer that reports no usage (an OpenAI-compatible server that ignores
 * `stream_options`, a proxy that strips usage) was billed all the same: its row estimates the input
 * from the request rather than recording a free request.
 */
describe('answers without usage', () => {
  const h = useHarness({ price: createPricer() });
  const post = (path: string, body: unknown) =>
    fetch(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a chat completion, JSON or streamed, with no usage: input estimated (and a stream output from its text), priced, marked estimated', async () => {
    const messages = [{ role: 'user', content: 'Summarise the quarterly report in three bullet points, please.' }];
    h.fake.script({ body: { id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' }] } });
    const json = await post('/v1/chat/completions', { model: 'gpt-4o', messages });
    expect(json.status).toBe(200);
    await json.text();
    h.fake.script({ events: ['data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Here are the three points"}}]}\n\n', 'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":" you asked for."}}]}\n\n', 'data: [DONE]\n\n'] });
    const streamed = await post('/v1/chat/completions', { model: 'gpt-4o', messages, stream: true });
    await streamed.text();
    for (const [r, output] of [[json, 0], [streamed, tokensOfChars('Here are the three points you asked for.'.length)]] as const) {
      const row = await h.row(r.headers.get('x-tollgate-request-id')!);
      expect(row).toMatchObject({ outcome: 'ok', usageSource: 'estimated', outputTokens: output, unpriced: false });
      expect(row.inputTokens).toBeGreaterThan(0);
      expect(row.costPicos).toBeGreaterThan(0n);
    }
  });

  it('a free endpoint stays free', async () => {
    const r = await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${h.key.key}` } });
    await r.text();
    expect(await h.row(r.headers.get('x-tollgate-request-id')!)).toMatchObject({ usageSource: 'none', costPicos: 0n });
  });
});
