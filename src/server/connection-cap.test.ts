import { type Server, createServer } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import { capConnections } from './connection-cap.js';
import { serveAsPlainHttp } from './plain-upgrade.js';

const none = () => undefined;
const warned: string[] = [];
const log: Logger = { debug: none, info: none, error: none, warn: (msg) => void warned.push(msg) };

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

async function start(cap: number): Promise<number> {
  server = createServer((_req, res) => res.end('ok'));
  const s = server;
  s.on('upgrade', (req, socket, head: Buffer) => serveAsPlainHttp(s, req, socket, head));
  capConnections(s, cap, { log });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

/** A raw connection; `until(pattern)` settles with all it was sent once that matches it, `closed` once the server closed it. */
function raw(port: number): { socket: Socket; until: (text: RegExp) => Promise<string>; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    got += d.toString();
    for (const w of waiters) w();
  });
  socket.on('error', none);
  const until = (text: RegExp) =>
    new Promise<string>((resolve) => {
      const check = () => text.test(got) && resolve(got);
      waiters.push(check);
      check();
    });
  return { socket, until, closed: new Promise((resolve) => socket.on('close', () => resolve(got))) };
}

describe('capConnections', () => {
  it('answers a connection over the cap with a 503 and closes it, and serves those under it', async () => {
    const port = await start(1);
    const held = raw(port);
    held.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(await held.until(/ok$/)).toMatch(/^HTTP\/1.1 200 OK/);
    const refused = raw(port);
    const text = await refused.closed;
    expect(text).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
    expect(text).toContain('\r\nconnection: close\r\n');
    expect(text).toContain('\r\nretry-after: 1\r\n');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { type: 'overloaded', code: 'too_many_connections' } });
    expect(warned.at(-1)).toContain('1 connections are open, as many as server.max_connections allows');
    // The one held is served on.
    held.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await held.until(/200 OK[\s\S]*200 OK[\s\S]*ok$/);
    expect(server!.maxConnections).toBeGreaterThan(1);
  });

  it('counts a connection handed to the server again (an upgrade served as plain HTTP) once', async () => {
    const port = await start(1);
    const c = raw(port);
    c.socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n');
    expect(await c.until(/ok$/)).toMatch(/^HTTP\/1.1 200 OK/);
  });
});
