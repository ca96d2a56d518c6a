import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { byteSize } from '../core/count-text.js';
import { isClientLeft, readBody } from '../gateway/read-body.js';
import type { PriceFn } from '../metering/build-row.js';
import type { TelemetryStore } from '../storage/ports.js';
import { DecodeError, decodeRequest, encodingOf, inflate } from './decode.js';
import { mapItems } from './map.js';
import type { Encoding, Signal } from './otlp-model.js';
import { type OtlpReply, errorReply, exportReply } from './responses.js';
import { type SenderAuth, identifySender } from './sender.js';
import { clientOf } from '../identity/client-address.js';
import { toLedgerRow } from './telemetry-row.js';
import { type GatewayAddress, viaGateway } from './via-gateway.js';

export interface ReceiverDeps extends SenderAuth {
  price: PriceFn;
  /** The gateway's durable writer: rows are journaled in the spool before the exporter hears 200. */
  ledger: { record(row: LedgerRow): void; afterJournal?(done: () => void): void };
  points: TelemetryStore;
  maxBodyBytes: number;
  log: Logger;
  /**
   * The Tollgate gateways' addresses: GenAI spans of calls sent to one are not made into rows,
   * since the gateway records those calls. Read per request: the listen port is known late.
   */
  gateways?: () => readonly GatewayAddress[];
}

const SIGNALS: Record<string, Signal> = {
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
  '/v1/traces': 'traces',
  '/otlp/v1/logs': 'logs',
  '/otlp/v1/metrics': 'metrics',
  '/otlp/v1/traces': 'traces',
};

/** The OTLP signal a path receives (`/v1/{signal}`, or under `/otlp` for OTEL_EXPORTER_OTLP_ENDPOINT=…/otlp). */
export function otlpSignal(path: string): Signal | undefined {
  return SIGNALS[path];
}

/**
 * OTLP/HTTP: `POST /v1/logs|metrics|traces`. Never throws; answers as the OTLP spec says, except
 * to an exporter that hung up mid-upload, which is left unanswered (the batch was not received).
 */
export async function handleOtlp(deps: ReceiverDeps, req: IncomingMessage, res: ServerResponse, signal: Signal): Promise<void> {
  const enc = encodingOf(req.headers['content-type']);
  let reply: OtlpReply;
  try {
    reply = await receive(deps, req, signal, enc);
  } catch (err) {
    if (isClientLeft(err)) {
      deps.log.debug('OTLP exporter left before its batch was read', { signal });
      return void res.destroy();
    }
    if (err instanceof DecodeError) reply = errorReply(err.status, enc, err.message);
    else {
      deps.log.error('OTLP request failed', { signal, err: String(err) });
      // 503 is retryable: the exporter sends the batch again, and ids make that harmless.
      reply = errorReply(503, enc, 'Tollgate could not store this batch; retry later.');
    }
  }
  if (!req.complete) req.resume();
  res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': reply.body.length, ...reply.headers });
  res.end(reply.body);
}

async function receive(deps: ReceiverDeps, req: IncomingMessage, signal: Signal, enc: Encoding | undefined): Promise<OtlpReply> {
  if (req.method !== 'POST') return errorReply(405, enc, `OTLP/HTTP takes POST on /v1/${signal}.`, { allow: 'POST' });
  const sender = await identifySender(deps, req.headers, clientOf(req));
  if ('status' in sender) return errorReply(sender.status, enc, sender.message, sender.retryAfter === undefined ? undefined : { 'retry-after': sender.retryAfter });
  if (enc === undefined) {
    return errorReply(415, undefined, `Content-Type ${req.headers['content-type'] ?? '(none)'} is not OTLP: send application/json or application/x-protobuf.`);
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, deps.maxBodyBytes);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'body_too_large') return errorReply(413, enc, `The request body is larger than ${byteSize(deps.maxBodyBytes)} (server.max_body_mb).`);
    throw err;
  }
  const body = inflate(raw, req.headers['content-encoding'], deps.maxBodyBytes);
  const gateways = deps.gateways?.() ?? [];
  const mapped = mapItems(decodeRequest(signal, enc, body), { viaGateway: (s) => viaGateway(s, gateways) });
  if (mapped.viaGateway > 0) deps.log.debug('GenAI spans of calls through a Tollgate gateway left out (the gateway recorded them)', { spans: mapped.viaGateway });
  if (mapped.points.length > 0) await deps.points.insertPoints(mapped.points);
  for (const call of mapped.calls) deps.ledger.record(toLedgerRow(call, sender, deps.price));
  if (mapped.calls.length > 0 && deps.ledger.afterJournal) await new Promise<void>((done) => deps.ledger.afterJournal!(done));
  return exportReply(signal, enc, mapped.rejected, mapped.reasons.slice(0, 5).join('; '));
}
