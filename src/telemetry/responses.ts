import type { Encoding, Signal } from './otlp-model.js';
import { otlpType } from './otlp-proto.js';

/** An OTLP/HTTP response: status, content type and body bytes. */
export interface OtlpReply {
  status: number;
  contentType: string;
  body: Buffer;
  headers?: Record<string, string>;
}

const RESPONSE: Record<Signal, { type: string; partial: string; rejected: string }> = {
  logs: { type: 'ExportLogsServiceResponse', partial: 'ExportLogsPartialSuccess', rejected: 'rejectedLogRecords' },
  metrics: { type: 'ExportMetricsServiceResponse', partial: 'ExportMetricsPartialSuccess', rejected: 'rejectedDataPoints' },
  traces: { type: 'ExportTraceServiceResponse', partial: 'ExportTracePartialSuccess', rejected: 'rejectedSpans' },
};

function encode(enc: Encoding, typeName: string, value: Record<string, unknown>): { contentType: string; body: Buffer } {
  if (enc === 'json') return { contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
  const type = otlpType(typeName);
  return { contentType: 'application/x-protobuf', body: Buffer.from(type.encode(type.fromObject(value)).finish()) };
}

/**
 * 200 with the signal's Export…ServiceResponse. `partial_success` is set only when items
 * were rejected or there is a warning to pass on, as the OTLP spec requires.
 */
export function exportReply(signal: Signal, enc: Encoding, rejected: number, message: string): OtlpReply {
  const r = RESPONSE[signal];
  const value = rejected > 0 || message ? { partialSuccess: { [r.rejected]: String(rejected), errorMessage: message } } : {};
  return { status: 200, ...encode(enc, r.type, value) };
}

/** An error as a google.rpc.Status, in the request's encoding (JSON when it is unknown). */
export function errorReply(status: number, enc: Encoding | undefined, message: string, headers?: Record<string, string>): OtlpReply {
  return { status, ...encode(enc ?? 'json', 'RpcStatus', { code: grpcCode(status), message }), headers };
}

/** The gRPC status code an HTTP status corresponds to (Status.code is informational in OTLP/HTTP). */
function grpcCode(status: number): number {
  if (status === 400 || status === 413 || status === 415) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 404) return 5; // NOT_FOUND
  if (status === 405) return 12; // UNIMPLEMENTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}
