import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpType } from '../../src/telemetry/otlp-proto.js';
import { type Harness, startHarness } from '../support/harness.js';

// Telemetry from apps and agents is whatever their SDK (or a bug in it) sends. The receiver,
// given OTLP of the right outline with anything inside (wrong types at every depth, numbers out of
// range, missing members), as JSON or protobuf, answers 200 or a 4xx that says what is wrong,
// never an internal error.

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ telemetry: { enabled: true, gatewayAddresses: [] } });
});
afterAll(() => h.close());

const KEYS = [
  'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.system', 'gen_ai.provider.name', 'gen_ai.response.id', 'gen_ai.operation.name',
  'event.name', 'model', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'cost_usd', 'duration_ms', 'request_id',
  'session.id', 'user.email', 'type', 'service.name', 'tollgate.project', 'server.address',
];
const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('-1', '1e400', 'NaN', '18446744073709551616', '', '0x10'), fc.double(), fc.integer());
const anyValue = fc.oneof(
  fc.record({ intValue: fc.oneof(fc.integer({ min: -5, max: 1_000_000 }).map(String), odd) }),
  fc.record({ stringValue: fc.oneof(fc.constantFrom('claude-sonnet-4-5', 'gpt-5', 'api_request', 'input', 'output', 'cacheRead', 'openai', 'anthropic'), odd) }),
  fc.record({ doubleValue: odd }),
  fc.record({ boolValue: odd }),
  fc.record({ arrayValue: fc.record({ values: fc.array(fc.record({ stringValue: fc.string() }), { maxLength: 2 }) }) }),
  odd,
);
const attributes = fc.array(fc.record({ key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: odd }), value: anyValue }, { requiredKeys: [] }), { maxLength: 10 });
const nanos = fc.oneof(fc.constantFrom('1764496805000000000', '0', '-1', '99999999999999999999'), fc.integer({ min: 0, max: 2 ** 53 }).map(String), odd);
const hex = (bytes: number) => fc.oneof(fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((a) => Buffer.from(a).toString('hex')), odd);
const resource = fc.record({ attributes }, { requiredKeys: [] });

const spans = fc.record({
  resourceSpans: fc.array(fc.record({ resource, scopeSpans: fc.array(fc.record({ spans: fc.array(fc.record({ traceId: hex(16), spanId: hex(8), name: odd, kind: odd, startTimeUnixNano: nanos, endTimeUnixNano: nanos, attributes, status: odd }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }),
});
const logs = fc.record({
  resourceLogs: fc.array(fc.record({ resource, scopeLogs: fc.array(fc.record({ logRecords: fc.array(fc.record({ timeUnixNano: nanos, observedTimeUnixNano: nanos, body: anyValue, attributes, eventName: odd }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }),
});
const point = fc.record({ attributes, timeUnixNano: nanos, startTimeUnixNano: nanos, asInt: fc.oneof(fc.integer().map(String), odd), asDouble: odd }, { requiredKeys: [] });
const metrics = fc.record({
  resourceMetrics: fc.array(fc.record({ resource, scopeMetrics: fc.array(fc.record({ metrics: fc.array(fc.record({ name: fc.oneof(fc.constantFrom('claude_code.token.usage', 'claude_code.cost.usage', 'gen_ai.client.token.usage'), odd), unit: odd, sum: fc.record({ dataPoints: fc.array(point, { maxLength: 3 }), aggregationTemporality: odd, isMonotonic: odd }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }),
});

const SIGNALS = [
  { path: '/v1/traces', body: spans, type: 'ExportTraceServiceRequest' },
  { path: '/v1/logs', body: logs, type: 'ExportLogsServiceRequest' },
  { path: '/v1/metrics', body: metrics, type: 'ExportMetricsServiceRequest' },
] as const;

/** As protobuf: what of the object protobufjs can encode (it drops or coerces the rest), or random bytes. */
function asProtobuf(type: string, value: unknown): Buffer | undefined {
  try {
    const t = otlpType(type);
    return Buffer.from(t.encode(t.fromObject(value as Record<string, unknown>)).finish());
  } catch {
    return undefined;
  }
}

const post = fc.integer({ min: 0, max: SIGNALS.length - 1 }).chain((i) =>
  fc.record({
    i: fc.constant(i),
    value: SIGNALS[i]!.body as fc.Arbitrary<unknown>,
    as: fc.constantFrom('json', 'json', 'protobuf', 'protobuf', 'bytes'),
    bytes: fc.uint8Array({ maxLength: 200 }),
    prefix: fc.constantFrom('', '/otlp'),
  }),
);

describe('the OTLP receiver, sent anything of the right outline', () => {
  it('answers 200 or a 4xx with a message, never an internal error', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(post, async (p) => {
        const s = SIGNALS[p.i]!;
        const proto = p.as === 'protobuf' ? asProtobuf(s.type, p.value) : undefined;
        const body = p.as === 'json' ? JSON.stringify(p.value) : p.as === 'bytes' ? Buffer.from(p.bytes) : proto;
        if (body === undefined) return;
        const contentType = p.as === 'json' ? 'application/json' : 'application/x-protobuf';
        const res = await request(h.url + p.prefix + s.path, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${h.key.key}` }, body });
        const bytes = Buffer.from(await res.body.arrayBuffer());
        seen.add(res.statusCode);
        expect(res.statusCode, bytes.toString()).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const message = contentType === 'application/json' ? (JSON.parse(bytes.toString()) as { message: string }).message : (otlpType('RpcStatus').decode(bytes) as unknown as { message: string }).message;
          expect(message.length).toBeGreaterThan(10);
        }
      }),
      { seed: 20261205, numRuns: 300 },
    );
    expect(seen.has(200)).toBe(true);
    expect(seen.has(400)).toBe(true);
  }, 120_000);
});
