import { type Attributes, SpanKind } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export type Protocol = 'http/json' | 'http/protobuf';

export interface OtelApp {
  /** Emits one log record through the real OTLP log exporter (batched) and waits for the batch to be sent. */
  log(body: string, attributes: AnyValueMap, at?: Date): Promise<void>;
  /** Emits without sending: `flushLogs` sends everything emitted so far as one batch. */
  emit(body: string, attributes: AnyValueMap, at?: Date): void;
  flushLogs(): Promise<void>;
  /** Records one ended CLIENT span and waits for it to be sent. */
  span(name: string, attributes: Attributes, startMs: number, endMs: number, error?: boolean): Promise<void>;
  /** Adds to a counter; `flushMetrics` exports what was added since the last flush (delta). */
  count(name: string, value: number, attributes: Attributes, unit?: string): void;
  flushMetrics(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An application instrumented with the OpenTelemetry JS SDK, exporting OTLP/HTTP to
 * `endpoint` (as OTEL_EXPORTER_OTLP_ENDPOINT would: the signal paths are appended).
 */
export function otelApp(endpoint: string, protocol: Protocol, headers: Record<string, string>, resource: Attributes, scope: string): OtelApp {
  const res = resourceFromAttributes(resource);
  const json = protocol === 'http/json';
  const opts = (signal: string) => ({ url: `${endpoint}/v1/${signal}`, headers });
  const logs = new LoggerProvider({ resource: res, processors: [new BatchLogRecordProcessor({ exporter: json ? new JsonLogs(opts('logs')) : new ProtoLogs(opts('logs')), scheduledDelayMillis: 3_600_000 })] });
  const traces = new BasicTracerProvider({ resource: res, spanProcessors: [new BatchSpanProcessor(json ? new JsonTraces(opts('traces')) : new ProtoTraces(opts('traces')), { scheduledDelayMillis: 3_600_000 })] });
  const metricOpts = { ...opts('metrics'), temporalityPreference: AggregationTemporalityPreference.DELTA };
  const reader = new PeriodicExportingMetricReader({ exporter: json ? new JsonMetrics(metricOpts) : new ProtoMetrics(metricOpts), exportIntervalMillis: 3_600_000 });
  const meters = new MeterProvider({ resource: res, readers: [reader] });
  const logger = logs.getLogger(scope, '2.1.197');
  const tracer = traces.getTracer(scope);
  const meter = meters.getMeter(scope);
  const counters = new Map<string, ReturnType<typeof meter.createCounter>>();
  return {
    async log(body, attributes, at = new Date()) {
      logger.emit({ body, attributes, timestamp: at, observedTimestamp: at });
      await logs.forceFlush();
    },
    emit(body, attributes, at = new Date()) {
      logger.emit({ body, attributes, timestamp: at, observedTimestamp: at });
    },
    flushLogs: () => logs.forceFlush(),
    async span(name, attributes, startMs, endMs, error) {
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: startMs });
      if (error) span.setStatus({ code: 2, message: 'upstream failed' });
      span.end(endMs);
      await traces.forceFlush();
    },
    count(name, value, attributes, unit) {
      let c = counters.get(name);
      if (!c) counters.set(name, (c = meter.createCounter(name, { unit })));
      c.add(value, attributes);
    },
    flushMetrics: () => reader.forceFlush(),
    async close() {
      await logs.shutdown();
      await traces.shutdown();
      await meters.shutdown();
    },
  };
}
