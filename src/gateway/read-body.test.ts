import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { BodyRoom } from './body-room.js';
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

describe('readBody with a hold on a room', () => {
  it('refuses a declared length the room has no space for before reading any of it', async () => {
    const room = new BodyRoom(1000, 1000);
    const first = room.hold('192.0.2.1');
    first.take(600);
    const req = fakeRequest({ 'content-length': '500' });
    const err = (await readBody(req, 10_000, room.hold('192.0.2.1')).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ code: 'gateway_busy', status: 503, headers: { 'retry-after': '1' } });
    expect(err.message).toContain('server.unverified_bodies_mb');
    expect(room.held).toBe(600);
    first.release();
    first.release();
    expect(room.held).toBe(0);
  });

  it('takes a declared length at once and a chunked body as it comes, refusing the chunk that does not fit', async () => {
    const room = new BodyRoom(1000, 1000);
    const sized = room.hold('192.0.2.1');
    const read = readBody(fakeRequest({ 'content-length': '400' }), 10_000, sized);
    expect(room.held).toBe(400);
    const chunked = fakeRequest({});
    const refused = readBody(chunked, 10_000, room.hold('192.0.2.1')).catch((e: unknown) => e);
    (chunked as unknown as PassThrough).write(Buffer.alloc(500));
    (chunked as unknown as PassThrough).write(Buffer.alloc(200));
    expect(await refused).toMatchObject({ code: 'gateway_busy' });
    expect(room.held).toBe(900);
    void read;
  });

  it('grows a hold to a decoded size, or refuses it', () => {
    const room = new BodyRoom(1000, 1000);
    const h = room.hold('192.0.2.1');
    h.take(100);
    h.grow(800);
    expect(room.held).toBe(800);
    expect(() => h.grow(1001)).toThrow(GatewayError);
    expect(room.held).toBe(800);
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
