import type { IncomingMessage } from 'node:http';
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { RequestInfo } from '../providers/types.js';
import { inspectForm } from '../providers/shared/form-fields.js';
import type { BodyHold } from './body-room.js';
import { decodeContent } from './content-encoding.js';
import type { Exchange } from './exchange.js';
import { gatewayBase } from './gateway-base.js';
import { MAX_MODEL_CHARS, encodingError, modelTooLong, parseJson } from './request-errors.js';

/** A request's body once read (proxy.ts `forward`): decoded, parsed, what it asks for, and why it is refused if it is. */
export interface InspectedBody {
  raw: Buffer | undefined;
  json: unknown;
  info: RequestInfo;
  badBody: GatewayError | undefined;
}

/** Decodes, parses and inspects a body read whole; a body found bad is not thrown here but returned, to be refused once the caller is known. */
export function inspectBody(req: IncomingMessage, x: Pick<Exchange, 'route' | 'adapter' | 'facts' | 'headers'>, query: URLSearchParams, raw: Buffer | undefined, badBody: GatewayError | undefined, hold: BodyHold | undefined, maxBodyBytes: number): InspectedBody {
  const { route, adapter, facts, headers } = x;
  if (raw !== undefined && !route.rawBody && headers['content-encoding'] !== undefined) {
    // Read (and forwarded) decoded: the upstream gets the same JSON, uncompressed.
    try {
      raw = decodeContent(raw, headers['content-encoding'], maxBodyBytes);
      delete headers['content-encoding'];
      hold?.grow(raw.length);
    } catch (err) {
      badBody = encodingError(err);
    }
  }
  let json: unknown;
  try {
    json = raw === undefined || badBody || route.rawBody ? undefined : parseJson(raw);
  } catch (err) {
    badBody = toGatewayError(err);
  }
  let info: RequestInfo = { model: route.model ?? '', stream: route.streamQuery !== undefined && query.get(route.streamQuery) === 'true' };
  if (raw !== undefined && !badBody) {
    try {
      info = route.rawBody ? (inspectForm(adapter, route, raw, headers['content-type']) ?? info) : adapter.inspectRequest(route, json);
    } catch (err) {
      badBody = toGatewayError(err);
    }
  }
  const longModel = modelTooLong(info.model);
  if (longModel) {
    badBody ??= longModel;
    info = { ...info, model: info.model.slice(0, MAX_MODEL_CHARS) };
  }
  facts.modelRequested = info.model;
  facts.stream = info.stream;
  if (route.api === 'anthropic.batches') info.gatewayBase = gatewayBase(headers, req.url);
  return { raw, json, info, badBody };
}
