import type { IncomingMessage } from 'node:http';
import { byteSize } from '../core/count-text.js';
import { GatewayError } from '../core/errors.js';
import type { BodyHold } from './body-room.js';

/**
 * Reads a request body up to `limit` bytes. Request bodies are read whole (the gateway
 * must see the model before choosing an upstream); a file upload's is streamed (upload.ts), as response streams are.
 * With `hold`, the body's bytes are taken from its room first: its declared length before anything
 * is read, else chunk by chunk; one that does not fit is refused (`gateway_busy`) and the rest of it not kept.
 */
export function readBody(req: IncomingMessage, limit: number, hold?: BodyHold): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit, 'server.max_body_mb'));
  const counted = hold !== undefined && !(declared >= 0);
  const busy = hold && declared >= 0 ? hold.tryTake(declared) : undefined;
  if (busy) return Promise.reject(busy);
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    // The listeners go once the body is read: they would hold it (and its chunks) as long as
    // the request lives, which for a stream is minutes. An error after that is of no interest here.
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.on('error', ignore);
      chunks = [];
    };
    const onData = (c: Buffer) => {
      size += c.length;
      const refused = size > limit ? tooLarge(limit, 'server.max_body_mb') : counted ? hold.tryTake(c.length) : undefined;
      if (refused) {
        done();
        req.resume();
        reject(refused);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      done();
      resolve(body);
    };
    const onError = (err: Error) => {
      done();
      reject(bodyFailure(req, err));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

const ignore = () => undefined;

/** Requests whose body the HTTP server refused, and answered itself, with the code it answered. */
const refused = new WeakMap<IncomingMessage, 'request_timeout' | 'bad_http_request'>();

/**
 * Marks a request the server is refusing mid-body (framing it cannot read, or a body past
 * `server.request_timeout_ms`): its body read then fails as that refusal, not as a client that left.
 */
export function markRefused(req: IncomingMessage, code: 'request_timeout' | 'bad_http_request'): void {
  refused.set(req, code);
}

/**
 * Why a request body broke off: the server refused a body that broke the framing or did not
 * arrive in time (and answered), or the client hung up mid-upload.
 */
export function bodyFailure(req: IncomingMessage, err: unknown): ClientLeft | AnsweredByServer {
  const code = refused.get(req);
  return code === undefined ? new ClientLeft(err) : new AnsweredByServer(code);
}

/** A body the HTTP server refused and answered (408 or 400): the request's row records that answer. */
export class AnsweredByServer extends GatewayError {
  constructor(code: 'request_timeout' | 'bad_http_request') {
    super(code, code === 'request_timeout' ? 'The request was not received in time (server.request_timeout_ms).' : 'The request body is not valid HTTP/1.1.');
  }
}

/** The client closed the connection before its request body was complete. */
export class ClientLeft extends Error {
  constructor(cause: unknown) {
    super('the client disconnected while sending its request', { cause });
    this.name = 'ClientLeft';
  }
}

/**
 * Whether a request failed because its client hung up while sending it: a ClientLeft, or the
 * error Node gives a request aborted mid-body (`aborted`, ECONNRESET) to readers that keep it.
 */
export function isClientLeft(err: unknown): boolean {
  if (err instanceof ClientLeft) return true;
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && err.message === 'aborted';
}

/** A body past the limit `setting` sets: a file upload's own (server.max_upload_mb), or every other request's. */
export function tooLarge(limit: number, setting: 'server.max_body_mb' | 'server.max_upload_mb'): GatewayError {
  return new GatewayError('body_too_large', `The request body is larger than this gateway's limit of ${byteSize(limit)} (${setting}).`);
}
