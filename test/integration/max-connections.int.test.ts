import { type Socket, connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { type Harness, chatOk, eventually, startHarness } from '../support/harness.js';

// server.max_connections: past it, a new connection is closed as it comes (nothing read, nothing
// answered), the gateway goes on serving the connections it has, and says so in its log, at most
// every 30 seconds, and in /metrics.

const warnings: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
const none = () => undefined;
const log: Logger = { debug: none, info: none, error: none, warn: (msg, fields) => void warnings.push({ msg, fields }) };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxConnections: 3, log });
});
afterAll(() => h.close());

/** A connection to the gateway, once open; `closed` settles when the gateway closes it, with what it sent; `got` is what it sent so far. */
async function open(): Promise<{ socket: Socket; closed: Promise<string>; got: () => string }> {
  const { port } = new URL(h.url);
  const socket = connect(Number(port), '127.0.0.1');
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString()));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  socket.on('error', none);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, got: () => got };
}

const raced = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);

describe('server.max_connections', () => {
  it('closes connections past the cap as they come, serves those it has, and says so once', async () => {
    const held = [await open(), await open(), await open()];
    const extra = await Promise.all([open(), open(), open()]);
    for (const e of extra) expect(await raced(e.closed, 2000)).toBe('');
    // Those it has are served still, and stay open.
    held[0]!.socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`);
    await eventually(() => expect(held[0]!.got()).toMatch(/^HTTP\/1.1 200 OK/));
    expect(await raced(held[1]!.closed, 200)).toBe('open');
    expect(warnings.filter((w) => w.msg.startsWith('connection refused'))).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('3 connections are open, as many as server.max_connections allows');

    // One closed, there is room again: a request gets through, and /metrics counts those refused.
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    await chatOk(h);
    const res = await request(`${h.url}/metrics`, { headers: { authorization: 'Bearer admin-secret' } });
    const text = await res.body.text();
    expect(text).toContain('tollgate_connections_refused_total 3\n');
    expect(text).toMatch(/tollgate_open_connections [12]\n/);
  });
});
