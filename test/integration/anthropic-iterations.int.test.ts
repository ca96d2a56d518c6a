import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { AGENT_BIN, runAgentOk } from '../support/agent-run.js';
import { useHarness } from '../support/harness.js';

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

// A compaction round summarises the context (Anthropic's compact-2026-01-12 beta): billed at the
// model's rates, reported only in usage.iterations and left out of the top-level counts.
const compaction = { type: 'compaction', input_tokens: 50_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 100_000, cache_creation: null, output_tokens: 3_000 };
const answer = { type: 'message', input_tokens: 20_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, output_tokens: 1_000 };
const top = { input_tokens: 20_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1_000 };
const head = { id: 'msg_01Compacted', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', stop_sequence: null };
const summary = { type: 'compaction', content: 'Summary of the conversation so far.' };

describe('Anthropic server-side compaction', () => {
  const h = useHarness({ price: createPricer() });
  const client = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
  const ask = {
    model: 'claude-sonnet-4-6',
    max_tokens: 2_000,
    messages: [{ role: 'user' as const, content: 'Go on.' }],
    context_management: { edits: [{ type: 'compact_20260112' as const }] },
    betas: ['compact-2026-01-12'],
  };
  // claude-sonnet-4-6: 70,000 uncached in × 3e6 + 100,000 read × 3e5 + 4,000 out × 15e6 = 3e11 picos.
  const metered = { inputTokens: 170_000, cacheReadTokens: 100_000, outputTokens: 4_000, costPicos: 300_000_000_000n, usageSource: 'final' };

  it('a Message meters the compaction round its usage.iterations reports beside the answer', async () => {
    const usage = { ...top, iterations: [compaction, answer] };
    h.fake.script({ match: '/v1/messages', body: { ...head, content: [summary, { type: 'text', text: 'Done.' }], stop_reason: 'end_turn', usage } });
    const { data, response } = await client().beta.messages.create(ask).withResponse();
    expect(data.usage.iterations).toHaveLength(2);
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject(metered);
  });

  it('a stream meters the compaction round its message_delta reports, the client getting every event', async () => {
    h.fake.script({
      match: '/v1/messages',
      events: [
        sse('message_start', { message: { ...head, content: [], stop_reason: null, usage: { ...top, output_tokens: 1 } } }),
        sse('content_block_start', { index: 0, content_block: { type: 'compaction', content: null } }),
        sse('content_block_delta', { index: 0, delta: { type: 'compaction_delta', content: summary.content, encrypted_content: null } }),
        sse('content_block_stop', { index: 0 }),
        sse('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
        sse('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Done.' } }),
        sse('content_block_stop', { index: 1 }),
        sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...top, iterations: [compaction, answer] } }),
        sse('message_stop', {}),
      ],
    });
    const stream = client().beta.messages.stream(ask);
    const final = await stream.finalMessage();
    expect(final.usage.iterations).toHaveLength(2);
    expect(final.content.map((b) => b.type)).toEqual(['compaction', 'text']);
    const id = (await stream.withResponse()).response.headers.get('x-tollgate-request-id')!;
    expect(await h.row(id)).toMatchObject(metered);
  });
});

describe('Anthropic server tool rounds', () => {
  const h = useHarness({ price: createPricer() });

  it('a stream that searched the web twice prices each round’s cache writes at the TTL its round reports', async () => {
    // message_start's split is the first round's: 30,000 written for 1h, 1,490 for 5 minutes. The second round
    // wrote 120,000 for 5 minutes, which only the rounds in usage.iterations tell; shares of the first split would take 114,322 of them as 1h.
    const first = { ...answer, cache_creation_input_tokens: 31_490, cache_creation: { ephemeral_5m_input_tokens: 1_490, ephemeral_1h_input_tokens: 30_000 } };
    const second = { ...answer, cache_creation_input_tokens: 120_000, cache_creation: { ephemeral_5m_input_tokens: 120_000, ephemeral_1h_input_tokens: 0 } };
    const start = { input_tokens: 300, cache_creation_input_tokens: 31_490, cache_read_input_tokens: 0, cache_creation: first.cache_creation, output_tokens: 1 };
    const final = { input_tokens: 900, cache_creation_input_tokens: 151_490, cache_read_input_tokens: 0, output_tokens: 700, server_tool_use: { web_search_requests: 2, web_fetch_requests: 0 }, iterations: [first, second] };
    h.fake.script({
      match: '/v1/messages',
      events: [
        sse('message_start', { message: { ...head, content: [], stop_reason: null, usage: start } }),
        sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Found it.' } }),
        sse('content_block_stop', { index: 0 }),
        sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: final }),
        sse('message_stop', {}),
      ],
    });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const stream = client.beta.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 2_000, messages: [{ role: 'user', content: 'What happened today?' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] });
    expect((await stream.finalMessage()).usage.iterations).toHaveLength(2);
    const id = (await stream.withResponse()).response.headers.get('x-tollgate-request-id')!;
    // claude-sonnet-4-6: 900 in × 3e6 + 30,000 1h writes × 6e6 + 121,490 5m writes × 3.75e6 + 700 out × 15e6 + 2 searches × 1e10.
    expect(await h.row(id)).toMatchObject({ cacheWriteTokens: 151_490, cacheWrite1hTokens: 30_000, costPicos: 668_787_500_000n });
  });
});

describe('Anthropic advisor tool', () => {
  const h = useHarness({ price: createPricer() });

  it('a Message whose executor consulted an advisor meters the advice at the advisor model’s rates, the row’s counts the executor’s', async () => {
    // The advisor's sub-inference is an advisor_message entry of usage.iterations, left out of the top-level counts.
    const advice = { type: 'advisor_message', model: 'claude-opus-4-6', input_tokens: 30_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, output_tokens: 1_500 };
    const usage = { ...top, iterations: [{ ...answer, input_tokens: 12_000, output_tokens: 400 }, advice, { ...answer, input_tokens: 8_000, output_tokens: 600 }] };
    const content = [
      { type: 'server_tool_use', id: 'srvtoolu_01Advisor', name: 'advisor', input: {} },
      { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_01Advisor', content: { type: 'advisor_result', text: 'Check the lock order first.' } },
      { type: 'text', text: 'Done.' },
    ];
    h.fake.script({ match: '/v1/messages', body: { ...head, content, stop_reason: 'end_turn', usage } });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const tools = [{ type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6' }] as unknown as Anthropic.Beta.BetaToolUnion[];
    const { data, response } = await client.beta.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 2_000, messages: [{ role: 'user', content: 'Fix the deadlock.' }], tools, betas: ['advisor-tool-2026-03-01'] })
      .withResponse();
    expect(data.usage.iterations).toHaveLength(3);
    // claude-sonnet-4-6: 20,000 in × 3e6 + 1,000 out × 15e6 = 7.5e10; claude-opus-4-6: 30,000 × 5e6 + 1,500 × 25e6 = 1.875e11.
    expect(await h.row(response.headers.get('x-tollgate-request-id')!)).toMatchObject({ model: 'claude-sonnet-4-6', inputTokens: 20_000, outputTokens: 1_000, costPicos: 262_500_000_000n, unpriced: false });
  });

  it('a Claude Code turn whose stream reports an advisor’s sub-inference costs what Claude Code itself reckons', async () => {
    const advice = { type: 'advisor_message', model: 'claude-opus-4-6', input_tokens: 30_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 2_000, cache_creation: null, output_tokens: 1_500 };
    h.fake.script({
      match: '/v1/messages',
      events: [
        sse('message_start', { message: { ...head, content: [], stop_reason: null, usage: { ...top, output_tokens: 1 } } }),
        sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Done.' } }),
        sse('content_block_stop', { index: 0 }),
        sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { ...top, iterations: [advice, answer] } }),
        sse('message_stop', {}),
      ],
    });
    const home = join(h.dir, `claude-${Math.random().toString(36).slice(2)}`);
    mkdirSync(home, { recursive: true });
    const env = { PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: h.url, ANTHROPIC_API_KEY: h.key.key, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1' };
    const r = await runAgentOk(join(AGENT_BIN, 'claude'), ['-p', 'Fix the deadlock.', '--output-format', 'json', '--model', 'claude-sonnet-4-6'], { env, cwd: h.dir, timeout: 60_000 });
    const result = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { total_cost_usd: number };
    // Claude Code prices the executor's 20,000 in and 1,000 out at claude-sonnet-4-6 (7.5e10 picos) and the advice at
    // claude-opus-4-6: 30,000 × 5e6 + 2,000 read × 0.5e6 + 1,500 × 25e6 = 1.885e11.
    expect(result.total_cost_usd).toBeCloseTo(0.2635, 9);
    const rows = (await h.rows()).filter((x) => x.api === 'anthropic.messages');
    expect(rows.map((x) => [x.client, x.inputTokens, x.outputTokens, x.costPicos])).toEqual([['claude-code', 20_000, 1_000, 263_500_000_000n]]);
  });
});
