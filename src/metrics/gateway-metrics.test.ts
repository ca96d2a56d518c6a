import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/rows.js';
import { GatewayMetrics } from './gateway-metrics.js';

const gauges = { ledgerPending: () => 7, inFlight: () => 3 };

/** The value of one series in the exposition text, or undefined. */
function series(text: string, line: string): number | undefined {
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

describe('GatewayMetrics', () => {
  it('counts requests, tokens by class, unpriced requests and latencies from the rows', async () => {
    const m = new GatewayMetrics(gauges);
    m.observe(sampleRow({ outcome: 'ok', latencyMs: 80 }));
    m.observe(sampleRow({ outcome: 'ok', latencyMs: 300, stream: true, ttftMs: 40 }));
    m.observe(sampleRow({ outcome: 'upstream_error', model: 'gpt-x', modelRequested: 'gpt-x', costPicos: null, unpriced: true, inputTokens: 5, cacheReadTokens: 0, outputTokens: 0, reasoningTokens: 0 }));
    const text = await m.render();
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="openai",model="gpt-5",outcome="ok"}')).toBe(2);
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="openai",model="gpt-x",outcome="upstream_error"}')).toBe(1);
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5",class="input"}')).toBe(2000);
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5",class="cache_read"}')).toBe(400);
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5",class="reasoning"}')).toBe(20);
    // A class with no tokens has no series.
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5",class="cache_write"}')).toBeUndefined();
    expect(series(text, 'tollgate_unpriced_requests_total{provider="openai",model="gpt-x"}')).toBe(1);
    // Non-streamed: 80 ms and 120 ms.
    expect(series(text, 'tollgate_request_duration_seconds_bucket{le="0.1",api="openai.chat",provider="openai",stream="false"}')).toBe(1);
    expect(series(text, 'tollgate_request_duration_seconds_bucket{le="0.25",api="openai.chat",provider="openai",stream="false"}')).toBe(2);
    expect(series(text, 'tollgate_request_duration_seconds_count{api="openai.chat",provider="openai",stream="true"}')).toBe(1);
    expect(series(text, 'tollgate_time_to_first_token_seconds_bucket{le="0.05",api="openai.chat",provider="openai"}')).toBe(1);
    expect(series(text, 'tollgate_ledger_pending_rows')).toBe(7);
    expect(series(text, 'tollgate_in_flight_requests')).toBe(3);
    expect(text).toContain('tollgate_process_resident_memory_bytes');
  });

  it('counts usage settled after its row (a background response’s) as tokens and spend, not as a request', async () => {
    const m = new GatewayMetrics(gauges);
    m.observe(sampleRow({ api: 'openai.responses', inputTokens: 0, cacheReadTokens: 0, outputTokens: 0, reasoningTokens: 0, costPicos: 0n }));
    m.observeSettled(sampleRow({ api: 'openai.responses', inputTokens: 300, cacheReadTokens: 0, outputTokens: 80, reasoningTokens: 0, costPicos: 1_000_000_000_000n }));
    const text = await m.render();
    expect(series(text, 'tollgate_requests_total{api="openai.responses",provider="openai",model="gpt-5",outcome="ok"}')).toBe(1);
    expect(series(text, 'tollgate_tokens_total{provider="openai",model="gpt-5",class="input"}')).toBe(300);
    expect(series(text, 'tollgate_cost_usd_total{provider="openai",model="gpt-5",team="platform"}')).toBe(1);
  });

  it('sums spend exactly in picodollars and shows dollars', async () => {
    const m = new GatewayMetrics(gauges);
    // 0.1 + 0.2 in doubles is 0.30000000000000004; summed as integers it is 0.3.
    m.observe(sampleRow({ costPicos: 100_000_000_000n }));
    m.observe(sampleRow({ costPicos: 200_000_000_000n }));
    m.observe(sampleRow({ team: 'data', costPicos: 12_345_678_901_234_567n }));
    const text = await m.render();
    expect(series(text, 'tollgate_cost_usd_total{provider="openai",model="gpt-5",team="platform"}')).toBe(0.3);
    expect(series(text, 'tollgate_cost_usd_total{provider="openai",model="gpt-5",team="data"}')).toBe(12345.678901234567);
    // A second scrape shows the same totals, not twice them.
    expect(series(await m.render(), 'tollgate_cost_usd_total{provider="openai",model="gpt-5",team="platform"}')).toBe(0.3);
  });

  it('caps the models a client can name at 200 label values; later ones count as other', async () => {
    const m = new GatewayMetrics(gauges);
    for (let i = 0; i < 250; i++) m.observe(sampleRow({ model: `made-up-${i}`, modelRequested: `made-up-${i}`, outcome: 'rejected' }));
    m.observe(sampleRow({ model: 'made-up-3', modelRequested: 'made-up-3', outcome: 'rejected' }));
    const text = await m.render();
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="openai",model="other",outcome="rejected"}')).toBe(50);
    expect(series(text, 'tollgate_requests_total{api="openai.chat",provider="openai",model="made-up-3",outcome="rejected"}')).toBe(2);
    expect(text.split('\n').filter((l) => l.startsWith('tollgate_requests_total{')).length).toBe(201);
  });

  it('shows what the sweeps last saw waiting for usage, by API, and nothing of it without sweeps', async () => {
    const waiting = new GatewayMetrics({ ...gauges, deferredWaiting: () => ({ 'openai.responses': 4, 'anthropic.batches': 0 }) });
    const text = await waiting.render();
    expect(series(text, 'tollgate_deferred_usage_waiting{api="openai.responses"}')).toBe(4);
    expect(series(text, 'tollgate_deferred_usage_waiting{api="anthropic.batches"}')).toBe(0);
    expect(await new GatewayMetrics(gauges).render()).not.toContain('tollgate_deferred_usage_waiting');
  });
});
