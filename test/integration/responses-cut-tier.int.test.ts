import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../../src/core/usage.js';
import { createPricer } from '../../src/pricing/index.js';
import { PIECES, TEXT, cutRow, readThenAbort, sse } from '../support/cut-stream.js';
import { useHarness } from '../support/harness.js';

const price = createPricer();
const h = useHarness({ price });

// Codex's fast mode asks for service_tier "priority" (2x); a user who presses Esc mid-answer cuts the
// stream before response.completed, which names the tier served. response.created names the one
// asked for, and the cut row is priced at it.
describe('a Responses stream at the priority tier, cut before its end', () => {
  it('is recorded and priced at the tier response.created named', async () => {
    const response = { id: 'resp_cut_fast', object: 'response', created_at: 1, status: 'in_progress', model: 'gpt-5.6-sol', output: [], usage: null, service_tier: 'priority' };
    const events = [
      sse({ type: 'response.created', sequence_number: 0, response }, 'response.created'),
      ...PIECES.map((delta, i) => sse({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: 'msg_cut', output_index: 0, content_index: 0, delta, logprobs: [] }, 'response.output_text.delta')),
    ];
    h.fake.script({ events, stallAfterEvents: events.length, headers: { 'content-type': 'text/event-stream' } });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const got = await readThenAbort(
      (signal) => client.responses.create({ model: 'gpt-5.6-sol', service_tier: 'priority', stream: true, input: 'write' }, { signal }),
      (e) => (e.type === 'response.output_text.delta' ? e.delta : ''),
    );
    expect(got).toBe(TEXT);
    const row = await cutRow(h);
    expect(row).toMatchObject({ outcome: 'client_aborted', serviceTier: 'priority' });
    const usage = { ...zeroUsage(), inputTokens: row.inputTokens, outputTokens: row.outputTokens };
    const standard = price({ provider: 'openai', catalogProvider: 'openai', model: 'gpt-5.6-sol', usage, at: new Date(row.ts) }).costPicos!;
    expect(row.costPicos).toBe(2n * standard);
  });
});
