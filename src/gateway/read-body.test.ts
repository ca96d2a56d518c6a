import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { ClientLeft, isClientLeft, readBody } from './read-body.js';

/** A request with these headers and no body. */
function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return Object.assign(new PassThrough(), { headers }) as unknown as IncomingMessage;
}

/** What Node gives a request whose client hung up mid-body. */
function abortedError(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

describe('readBody', () => {
  it('names a limit under 1 MB readably, not as 0 MB', async () => {
    const limit = Math.round(0.4 * 1048576);
    const err = (await readBody(fakeRequest({ 'content-length': String(limit + 1) }), limit).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('body_too_large');
    expect(err.message).toBe("The request body is larger than this gateway's limit of 410 KB (server.max_body_mb).");
  });
});

describe('isClientLeft', () => {
  it('knows a ClientLeft and the error Node gives an aborted request', () => {
    expect(isClientLeft(new ClientLeft(abortedError()))).toBe(true);
    expect(isClientLeft(abortedError())).toBe(true);
  });

  it('does not take other resets or errors for a client that left', () => {
    // A storage connection reset is the server's problem, not the client's.
    expect(isClientLeft(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isClientLeft(new Error('aborted'))).toBe(false);
    expect(isClientLeft(new RangeError('request body is not valid JSON'))).toBe(false);
    expect(isClientLeft('aborted')).toBe(false);
  });
});
