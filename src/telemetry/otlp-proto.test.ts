import { SpanKind } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeRequest } from './decode.js';

const resource = resourceFromAttributes({ 'service.name': 'svc', 'deployment.environment': 'test', count: 3 });
const ATTRS = { s: 'text', i: 42, d: 1.5, b: true, arr: ['x', 'y'], nums: [1, 2] };

/**
 * Tollgate's trimmed OTLP schema must read what the official encoder writes: the SDK's own
 * protobuf and JSON serializers encode the same data, and both decode to the same items.
 */
describe('OTLP schema against the OpenTelemetry SDK encoders', () => {
  it('logs', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    provider.getLogger('scope-a').emit({ body: 'claude_code.api_request', attributes: { ...ATTRS, nested: { k: 'v', n: 7 } }, timestamp: new Date(1_764_496_805_123), eventName: 'claude_code.api_request' });
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    const proto = decodeRequest('logs', 'protobuf', Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!));
    const json = decodeRequest('logs', 'json', Buffer.from(JsonLogsSerializer.serializeRequest(records)!));
    expect(proto).toEqual(json);
    expect(proto.items).toEqual([
      {
        resource: expect.objectContaining({ 'service.name': 'svc', 'deployment.environment': 'test', count: 3 }),
        scope: 'scope-a',
        attrs: { ...ATTRS, nested: { k: 'v', n: 7 } },
        eventName: 'claude_code.api_request',
        timeNanos: 1_764_496_805_123_000_000n,
        observedNanos: expect.any(BigInt),
        body: 'claude_code.api_request',
        traceId: '',
        spanId: '',
      },
    ]);
  });

  it('traces', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const span = provider.getTracer('scope-t').startSpan('chat gpt-4o', { kind: SpanKind.CLIENT, attributes: ATTRS, startTime: 1_764_496_805_000 });
    span.setStatus({ code: 2, message: 'boom' });
    span.end(1_764_496_806_500);
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const proto = decodeRequest('traces', 'protobuf', Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
    const json = decodeRequest('traces', 'json', Buffer.from(JsonTraceSerializer.serializeRequest(spans)!));
    expect(proto).toEqual(json);
    const ctx = spans[0]!.spanContext();
    expect(proto.items).toEqual([
      {
        resource: expect.any(Object),
        scope: 'scope-t',
        attrs: ATTRS,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        name: 'chat gpt-4o',
        kind: 3,
        startNanos: 1_764_496_805_000_000_000n,
        endNanos: 1_764_496_806_500_000_000n,
        statusCode: 2,
        statusMessage: 'boom',
      },
    ]);
  });

  it('metrics: delta sums with int and double points, gauges', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('scope-m');
    meter.createCounter('claude_code.token.usage', { unit: 'tokens' }).add(1234, { type: 'input', model: 'm' });
    meter.createCounter('claude_code.cost.usage', { unit: 'USD' }).add(0.25, { model: 'm' });
    meter.createGauge('g').record(5);
    meter.createHistogram('h').record(3);
    await reader.forceFlush();
    const metrics = exporter.getMetrics();
    const proto = decodeRequest('metrics', 'protobuf', Buffer.from(ProtobufMetricsSerializer.serializeRequest(metrics[0]!)!));
    const json = decodeRequest('metrics', 'json', Buffer.from(JsonMetricsSerializer.serializeRequest(metrics[0]!)!));
    expect(proto).toEqual(json);
    if (proto.signal !== 'metrics') throw new Error('not metrics');
    const pick = proto.items.map((p) => ({ metric: p.metric, unit: p.unit, kind: p.kind, temporality: p.temporality, value: p.value, attrs: p.attrs }));
    expect(pick).toEqual([
      { metric: 'claude_code.token.usage', unit: 'tokens', kind: 'sum', temporality: 1, value: 1234, attrs: { type: 'input', model: 'm' } },
      { metric: 'claude_code.cost.usage', unit: 'USD', kind: 'sum', temporality: 1, value: 0.25, attrs: { model: 'm' } },
      { metric: 'g', unit: '', kind: 'gauge', temporality: 0, value: 5, attrs: {} },
    ]);
  });
});
