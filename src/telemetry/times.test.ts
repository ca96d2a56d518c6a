import { describe, expect, it } from 'vitest';
import { decodeRequest } from './decode.js';
import { mapItems } from './map.js';

const OBSERVED_MS = 1_764_496_805_000;
const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;

/** One api_request event as OTLP/JSON, its times as given (OTLP/JSON writes int64 as text). */
function event(time: string, observed: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: time,
                  observedTimeUnixNano: observed,
                  body: { stringValue: 'claude_code.api_request' },
                  attributes: [
                    { key: 'model', value: { stringValue: 'claude-opus-4-1' } },
                    { key: 'input_tokens', value: { intValue: '10' } },
                    { key: 'request_id', value: { stringValue: 'req_t' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }),
  );
}

const tsOf = (body: Buffer) => mapItems(decodeRequest('logs', 'json', body)).calls[0]?.ts;

describe('OTLP times out of range', () => {
  it('read as unset, so the observed time stands in: beyond 64 bits, before 2000, or years ahead', () => {
    expect(tsOf(event('99999999999999999999999999', nanos(OBSERVED_MS)))).toBe(OBSERVED_MS);
    expect(tsOf(event('18446744073709551615', nanos(OBSERVED_MS)))).toBe(OBSERVED_MS);
    expect(tsOf(event(nanos(Date.UTC(1999, 11, 31)), nanos(OBSERVED_MS)))).toBe(OBSERVED_MS);
    expect(tsOf(event(nanos(Date.now() + 2 * 366 * 86_400_000), nanos(OBSERVED_MS)))).toBe(OBSERVED_MS);
    expect(tsOf(event(nanos(OBSERVED_MS - 7), nanos(OBSERVED_MS)))).toBe(OBSERVED_MS - 7);
  });

  it('with neither time believable, the row is dated when it arrived', () => {
    const before = Date.now();
    const ts = tsOf(event('99999999999999999999999999', '99999999999999999999999999'))!;
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it('a span or a counter point out of range is dated at its other time, or on arrival', () => {
    const span = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: '01',
                    spanId: '02',
                    startTimeUnixNano: '99999999999999999999',
                    endTimeUnixNano: nanos(OBSERVED_MS),
                    attributes: [
                      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: '5' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(mapItems(decodeRequest('traces', 'json', span)).calls[0]).toMatchObject({ ts: OBSERVED_MS, latencyMs: 0 });
    const point = Buffer.from(
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'claude_code.cost.usage',
                    sum: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: '99999999999999999999999999', asDouble: 0.5, attributes: [] }] },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const before = Date.now();
    expect(mapItems(decodeRequest('metrics', 'json', point)).points[0]!.ts).toBeGreaterThanOrEqual(before);
  });
});
