import { ContentEncodingError, decodeContent } from '../gateway/content-encoding.js';
import { BadRequestError, type Encoding, type LogItem, type PointItem, type Signal, type SpanItem, flattenLogs, flattenPoints, flattenSpans } from './otlp-model.js';
import { otlpType } from './otlp-proto.js';

/** A body Tollgate cannot read: 415 for an encoding it does not speak, 413 for size, 400 for the rest. */
export class DecodeError extends Error {
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.status = status;
  }
}

/** The OTLP body encoding named by a Content-Type header, or undefined for any other type. */
export function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  return undefined;
}

const REQUEST_TYPES: Record<Signal, string> = {
  logs: 'ExportLogsServiceRequest',
  metrics: 'ExportMetricsServiceRequest',
  traces: 'ExportTraceServiceRequest',
};

/** Undoes `Content-Encoding` (gzip, as OTLP exporters send, or any coding the gateway decodes), within `limit` bytes. */
export function inflate(body: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  try {
    return decodeContent(body, contentEncoding, limit);
  } catch (err) {
    if (err instanceof ContentEncodingError) throw new DecodeError(err.status, err.message);
    throw err;
  }
}

/** The request as a camelCase tree, the shape OTLP/JSON has, whatever the wire encoding. */
export function parseTree(signal: Signal, enc: Encoding, body: Buffer): Record<string, unknown> {
  if (enc === 'json') {
    let tree: unknown;
    try {
      tree = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new DecodeError(400, `The body is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) throw new DecodeError(400, `The body must be a JSON object (an ${REQUEST_TYPES[signal]}).`);
    return tree as Record<string, unknown>;
  }
  const type = otlpType(REQUEST_TYPES[signal]);
  try {
    return type.toObject(type.decode(body), { longs: String, bytes: String, defaults: false });
  } catch (err) {
    throw new DecodeError(400, `The body is not a valid protobuf ${REQUEST_TYPES[signal]}: ${(err as Error).message}`);
  }
}

export type Decoded = { signal: 'logs'; items: LogItem[] } | { signal: 'traces'; items: SpanItem[] } | { signal: 'metrics'; items: PointItem[] };

/** Decodes an OTLP/HTTP request body into the flat items of its signal. Pure apart from CPU. */
export function decodeRequest(signal: Signal, enc: Encoding, body: Buffer): Decoded {
  const tree = parseTree(signal, enc, body);
  try {
    switch (signal) {
      case 'logs':
        return { signal, items: flattenLogs(tree, enc) };
      case 'traces':
        return { signal, items: flattenSpans(tree, enc) };
      case 'metrics':
        return { signal, items: flattenPoints(tree, enc) };
    }
  } catch (err) {
    if (err instanceof BadRequestError) throw new DecodeError(400, `The body is not a valid ${REQUEST_TYPES[signal]}: ${err.message}.`);
    throw err;
  }
}
