import { type Socket, connect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { testCertificate } from '../support/certs.js';
import { type Harness, chatOk, eventually, startHarness } from '../support/harness.js';

// server.max_connections: past it, a new connection is answered a 503 as it comes (written before
// anything of it is read, then closed), the gateway goes on serving the connections it has, and
// says so in its log, at most every 30 seconds, and in /metrics.

const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
const none = () => undefined;
const log: Logger = { debug: none, info: none, error: none, warn: (msg, fields) => void warnings.push({ msg, fields }) };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxConnections: 3, log });
});
afterAll(() => h.close());

/** A connection to the gateway, once open; `closed` settles when the gateway closes it, with what it sent; `got` is what it sent so far. */
async function open(o: { allowHalfOpen?: boolean } = {}): Promise<{ socket: Socket; closed: Promise<string>; got: () => string }> {
  const { port } = new URL(h.url);
  const socket = connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: o.allowHalfOpen ?? false });
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString()));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  socket.on('error', none);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, got: () => got };
}

const raced = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

/** What a refused connection is sent: a whole HTTP/1.1 503 that closes the connection, with a JSON error. */
function expectOverloaded(raw: string): void {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const lines = head.split('\r\n');
  expect(lines[0]).toBe('HTTP/1.1 503 Service Unavailable');
  expect(lines).toContain('connection: close');
  expect(lines).toContain('retry-after: 1');
  expect(lines).toContain('content-type: application/json');
  expect(lines).toContain(`content-length: ${Buffer.byteLength(body)}`);
  expect(lines.some((l) => /^x-tollgate-request-id: \S+$/.test(l))).toBe(true);
  expect(JSON.parse(body)).toEqual({ error: { type: 'overloaded', code: 'too_many_connections', message: expect.stringContaining('server.max_connections') as unknown } });
}

describe('server.max_connections', () => {
  it('answers connections past the cap with a 503 and closes them, serves those it has, and says so once', async () => {
    const held = [await open(), await open(), await open()];
    const extra = await Promise.all([open(), open(), open()]);
    // One sends its request first: it is answered all the same, not reset for the bytes left unread.
    extra[0].socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 20000\r\n\r\n${'x'.repeat(20_000)}`);
    for (const e of extra) {
      const raw = await raced(e.closed, 5000);
      expect(raw).not.toBe('open');
      expectOverloaded(raw);
    }
    // Those it has are served still, and stay open.
    held[0]!.socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`);
    await eventually(() => expect(held[0]!.got()).toMatch(/^HTTP\/1.1 200 OK/));
    expect(await raced(held[1]!.closed, 200)).toBe('open');
    expect(warnings.filter((w) => w.msg.startsWith('connection refused'))).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('3 connections are open, as many as server.max_connections allows');

    // A refused client that never closes its side gets its answer, and then the gateway lets go of
    // the socket all the same (what the client writes after is met with a reset): refused sockets do not pile up.
    const stays = await open({ allowHalfOpen: true });
    const ended = new Promise<void>((resolve) => stays.socket.once('end', () => resolve()));
    let reset = false;
    stays.socket.on('error', () => (reset = true));
    expect(await raced(ended, 5000)).not.toBe('open');
    expectOverloaded(stays.got());
    await eventually(() => {
      if (!stays.socket.destroyed) stays.socket.write('more');
      expect(reset).toBe(true);
    }, 8000);

    // One closed, there is room again: a request gets through, and /metrics counts those refused.
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    await chatOk(h);
    const res = await request(`${h.url}/metrics`, { headers: { authorization: 'Bearer admin-secret' } });
    const text = await res.body.text();
    expect(text).toContain('tollgate_connections_refused_total 4\n');
    expect(text).toMatch(/tollgate_open_connections [12]\n/);
  });
});

describe('server.max_connections over HTTPS', () => {
  let t: Harness;
  beforeAll(async () => {
    t = await startHarness({ maxConnections: 1, tls: testCertificate('localhost') });
  });
  afterAll(() => t.close());

  /** A TLS connection to the gateway, once its handshake is done; `closed` settles with what it was sent. */
  async function openTls(): Promise<{ socket: TLSSocket; closed: Promise<string> }> {
    const { port } = new URL(t.url);
    const socket = tlsConnect({ port: Number(port), host: '127.0.0.1', rejectUnauthorized: false });
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('error', none);
    const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    return { socket, closed };
  }

  it('answers the 503 inside TLS once the handshake is done', async () => {
    const held = await openTls();
    const extra = await openTls();
    const raw = await raced(extra.closed, 5000);
    expect(raw).not.toBe('open');
    expectOverloaded(raw);
    held.socket.destroy();
    await held.closed;
  });
});
